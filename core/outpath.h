/* Output paths checked before the work that fills them: a command that measures for 35 s or
 * trains for an hour first makes sure it can write its result where it was asked to, and a
 * folder output never lands in a folder that holds something else (or in "/"). */
#ifndef GS_OUTPATH_H
#define GS_OUTPATH_H

#include <stdbool.h>

#include "core/status.h"

/* Checks that a file can be written at `path` through a temporary file beside it: path is
 * not a folder, and its folder (or, when missing, the nearest existing ancestor, which the
 * writer will create the rest under) is a folder where a file can be created (tried with a
 * probe file, removed at once). GS_ERR_IO or GS_ERR_INVALID with a message naming path. */
gs_status gs_outpath_check_file(const char *path, gs_error *err);

/* Checks a folder output: never "/" (or any path that resolves to it); when path exists it
 * must be a folder, and when it holds anything, `force` must be set (the folder will then be
 * replaced whole); its parent must take new entries (the new folder is written beside it and
 * renamed into place). GS_ERR_INVALID or GS_ERR_IO. */
gs_status gs_outpath_check_dir(const char *path, bool force, gs_error *err);

/* Moves the finished folder `built` (written beside path) onto path. When path exists, the
 * two are exchanged in one renameat2(RENAME_EXCHANGE) (or, where that is missing, path is
 * moved aside first) and the old contents, now at `built`, are removed (three levels deep:
 * a dataset's layout). GS_ERR_IO naming both paths. */
gs_status gs_outpath_swap_in(const char *built, const char *path, gs_error *err);

/* True when path is a folder with at least one entry besides "." and "..". */
bool gs_outpath_dir_nonempty(const char *path);

#endif
