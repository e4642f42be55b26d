#!/bin/sh
# Writes huge-line.pin: a scenario whose third line is a 10 MiB comment.  The
# file is generated, not committed; compare `pinlab check` on it with
# huge-line.err.  Usage: sh tests/errors/huge-line.sh > tests/errors/huge-line.pin
printf 'scenario "huge line"\nprocess P\n#'
head -c 10485760 /dev/zero | tr '\0' x
printf '\nP: buf = mmap 1 page\n'
