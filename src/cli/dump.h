#ifndef PINLAB_DUMP_H
#define PINLAB_DUMP_H

#include "pinlab/core.h"

#include <stdio.h>

/* Print processes, VMAs, PTEs and folios of a world (pinlab show). */
void pl_dump_world(FILE *out, const struct world *w);

#endif
