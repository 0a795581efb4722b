/* A self-contained mutation driver for the fuzz targets, for machines without clang's
 * libFuzzer: runs every seed file given, then mutates seeds (bit flips, byte changes, inserts
 * and deletions of runs, splices of two seeds, and tokens that readers treat specially) for a
 * number of seconds, calling LLVMFuzzerTestOneInput on each. Built with the sanitizers, a
 * crash stops the run with the sanitizer's report; the input is saved first as crash-<pid>.
 * Prints executions and executions per second. Usage: driver SECONDS SEED_DIR... */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 512
#define DRIVER_MAX_INPUT 65536

typedef struct {
  uint8_t *data;
  size_t size;
} blob;

static blob seeds[MAX_SEEDS];
static int nseeds;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static size_t below(size_t n) { return n ? (size_t)(next_random() % n) : 0; }

static void add_seed(const char *path) {
  if (nseeds >= MAX_SEEDS) return;
  FILE *f = fopen(path, "rb");
  if (!f) return;
  uint8_t *buf = malloc(DRIVER_MAX_INPUT);
  size_t n = buf ? fread(buf, 1, DRIVER_MAX_INPUT, f) : 0;
  fclose(f);
  if (!buf) return;
  seeds[nseeds].data = buf;
  seeds[nseeds].size = n;
  nseeds++;
}

static void add_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    add_seed(dir);
    return;
  }
  struct dirent *e;
  char p[4096];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    add_seed(p);
  }
  closedir(d);
}

static const char *const tokens[] = {"-1", "0", "2147483647", "2147483648", "9223372036854775808",
                                     "1e-300", "1e300", "nan", "inf", ",", "\n", " ", "#", "=",
                                     "%%MatrixMarket matrix coordinate real general\n",
                                     "\x1f\x8b", "\r\n", "18446744073709551615", "-0", "0x10"};

/* Applies 1 to 4 random mutations to buf (size *n, capacity DRIVER_MAX_INPUT). */
static void mutate(uint8_t *buf, size_t *n) {
  int count = 1 + (int)below(4);
  for (int k = 0; k < count; k++) {
    size_t len = *n;
    switch (below(7)) {
      case 0: if (len) buf[below(len)] ^= (uint8_t)(1u << below(8)); break;
      case 1: if (len) buf[below(len)] = (uint8_t)next_random(); break;
      case 2: { /* delete a run */
        if (!len) break;
        size_t at = below(len), run = 1 + below(len - at < 16 ? len - at : 16);
        memmove(buf + at, buf + at + run, len - at - run);
        *n = len - run;
        break;
      }
      case 3: { /* duplicate a run */
        if (!len) break;
        size_t at = below(len), run = 1 + below(len - at < 32 ? len - at : 32);
        if (len + run > DRIVER_MAX_INPUT) break;
        size_t to = below(len + 1);
        memmove(buf + to + run, buf + to, len - to);
        memcpy(buf + to, buf + (at < to ? at : at + run), run);
        *n = len + run;
        break;
      }
      case 4: { /* insert a token */
        const char *t = tokens[below(sizeof tokens / sizeof tokens[0])];
        size_t tl = strlen(t), to = below(len + 1);
        if (len + tl > DRIVER_MAX_INPUT) break;
        memmove(buf + to + tl, buf + to, len - to);
        memcpy(buf + to, t, tl);
        *n = len + tl;
        break;
      }
      case 5: { /* splice: the tail of another seed */
        const blob *o = &seeds[below((size_t)nseeds)];
        size_t cut = below(len + 1), from = below(o->size + 1), take = o->size - from;
        if (cut + take > DRIVER_MAX_INPUT) take = DRIVER_MAX_INPUT - cut;
        memcpy(buf + cut, o->data + from, take);
        *n = cut + take;
        break;
      }
      default: /* a digit changed: numbers are what the readers check most */
        if (len) buf[below(len)] = (uint8_t)('0' + below(10));
        break;
    }
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint8_t current[DRIVER_MAX_INPUT];
static size_t current_size;

/* Saves the input being run when a sanitizer reports (its death callback). */
static void save_crash(void) {
  char p[64];
  snprintf(p, sizeof p, "crash-%ld", (long)getpid());
  FILE *f = fopen(p, "wb");
  if (f) {
    fwrite(current, 1, current_size, f);
    fclose(f);
    fprintf(stderr, "driver: input saved as %s\n", p);
  }
}

void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SECONDS SEED_DIR...\n", argv[0]);
    return 2;
  }
  const double seconds = atof(argv[1]);
  for (int i = 2; i < argc; i++) add_dir(argv[i]);
  if (nseeds == 0) {
    fprintf(stderr, "driver: no seeds\n");
    return 2;
  }
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(save_crash);
  const double t0 = now();
  long long runs = 0;
  for (int i = 0; i < nseeds; i++, runs++) {
    current_size = seeds[i].size;
    memcpy(current, seeds[i].data, current_size);
    LLVMFuzzerTestOneInput(current, current_size);
  }
  while (now() - t0 < seconds) {
    const blob *s = &seeds[below((size_t)nseeds)];
    current_size = s->size;
    memcpy(current, s->data, current_size);
    mutate(current, &current_size);
    /* The target may keep no pointer into the input: give it its own copy. */
    uint8_t *in = malloc(current_size ? current_size : 1);
    memcpy(in, current, current_size);
    LLVMFuzzerTestOneInput(in, current_size);
    free(in);
    runs++;
  }
  const double t = now() - t0;
  printf("driver: %lld runs in %.1f s (%.0f execs/s), %d seeds, no crash\n", runs, t,
         (double)runs / t, nseeds);
  for (int i = 0; i < nseeds; i++) free(seeds[i].data);
  return 0;
}
