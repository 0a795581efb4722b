/* Temporary files and folders that must not outlive an interrupted run. Writers create their
 * temporary output through gs_temp_mkstemp (or register a folder they build beside the
 * target), and forget it once it is renamed into place or removed. The program installs
 * gs_temp_install_handlers once: on SIGINT, SIGTERM or SIGHUP it removes whatever is still
 * registered (with async-signal-safe calls only) and then dies of the signal as it would
 * have. A SIGKILL cannot be caught: what it leaves behind is named "*.tmp.XXXXXX". */
#ifndef GS_TEMPFILE_H
#define GS_TEMPFILE_H

#include <stdbool.h>

/* Paths registered at once (more are still created, but not removed on a signal). */
#define GS_TEMP_SLOTS 64

/* mkstemp(3) on `templ` (ending in "XXXXXX"), registering the file it creates. Returns the
 * descriptor, or -1 with errno set. */
int gs_temp_mkstemp(char *templ);

/* Registers an existing path (a file, or a folder removed with its contents, three levels
 * deep) for removal on a signal. False when every slot is taken or the path is too long. */
bool gs_temp_register(const char *path);

/* Unregisters path (after it was renamed into place or removed). Unknown paths are ignored. */
void gs_temp_forget(const char *path);

/* Removes a file, or a folder with its contents three levels deep, now (async-signal-safe). */
void gs_temp_remove(const char *path);

/* Removes every registered path now (files and folders) and unregisters them. */
void gs_temp_remove_all(void);

/* Installs the SIGINT, SIGTERM and SIGHUP handlers (once; later calls do nothing). */
void gs_temp_install_handlers(void);

#endif
