/*
 * hist.h - the built-in history cases on the command line (hist.c):
 * `pinlab history`, `pinlab show CASE`, and the history matrix `pinlab
 * demo` falls back to when there is no scenarios/ directory.
 */
#ifndef PINLAB_CLI_HIST_H
#define PINLAB_CLI_HIST_H

#include "cli.h"

int cli_hist_show(const char *name, const struct cli_opts *o);
int cli_hist_demo(void);

#endif
