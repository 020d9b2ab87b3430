// libedit's readline-compatible interface (line editing, history, completion).
#ifndef TOPIARY_CEDIT_H
#define TOPIARY_CEDIT_H
#include <stdio.h>
#include <editline/readline.h>
#endif
