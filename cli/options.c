/* The table-driven option parser and usage text of the gnnscale program (cli/options.h). */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "gnn/model.h"
#include "gnn/train.h"
#include "scaling/rules.h"

const gs_option_choice gs_cli_order_choices[] = {{"auto", GS_ORDER_AUTO},
                                                 {"transform", GS_ORDER_TRANSFORM_FIRST},
                                                 {"aggregate", GS_ORDER_AGGREGATE_FIRST},
                                                 {NULL, 0}};
const gs_option_choice gs_cli_model_choices[] = {
    {"gcn", GS_MODEL_GCN},   {"sage", GS_MODEL_SAGE},   {"gin", GS_MODEL_GIN},
    {"sgc", GS_MODEL_SGC},   {"appnp", GS_MODEL_APPNP}, {NULL, 0}};
const gs_option_choice gs_cli_gin_norm_choices[] = {{"auto", GS_GIN_NORM_AUTO},
                                                    {"batch", GS_GIN_NORM_BATCH},
                                                    {"none", GS_GIN_NORM_NONE},
                                                    {NULL, 0}};
const gs_option_choice gs_cli_sgc_input_choices[] = {{"auto", GS_SGC_INPUT_AUTO},
                                                     {"dense", GS_SGC_INPUT_DENSE},
                                                     {"csr", GS_SGC_INPUT_CSR},
                                                     {NULL, 0}};
const gs_option_choice gs_cli_norm_choices[] = {
    {"sym", GS_NORM_SYM}, {"row", GS_NORM_ROW}, {"none", GS_NORM_NONE}, {NULL, 0}};
const gs_option_choice gs_cli_decay_choices[] = {
    {"first", GS_DECAY_FIRST}, {"all", GS_DECAY_ALL}, {NULL, 0}};
const gs_option_choice gs_cli_featprep_choices[] = {{"auto", GS_FEATPREP_AUTO},
                                                    {"rownorm", GS_FEATPREP_ROWNORM},
                                                    {"raw", GS_FEATPREP_RAW},
                                                    {"binary", GS_FEATPREP_BINARY},
                                                    {"l2", GS_FEATPREP_L2},
                                                    {NULL, 0}};

bool gs_cli_parse_base_option(const char *value, void *rule, char *why, size_t cap) {
  if (gs_cli_parse_base(value, rule)) return true;
  snprintf(why, cap, "'%s' is not D,W or D,W,R (depth 1..%d, width 1..%d, resolution in (0, 1])",
           value, GS_MAX_LAYERS, 1 << 20);
  return false;
}

bool gs_cli_parse_strategy_option(const char *value, void *strategy, char *why, size_t cap) {
  gs_error e;
  if (gs_scaling_strategy_parse(strategy, value, &e) == GS_OK) return true;
  snprintf(why, cap, "'%s' is not dwr, dWr, d, w, r or explicit", value);
  return false;
}

static void record(gs_cli *cli, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void record(gs_cli *cli, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cli->error, sizeof cli->error, fmt, ap);
  va_end(ap);
}

/* "a, b or c" from an enum's choices. */
static void list_choices(const gs_option_choice *c, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  int count = 0;
  while (c[count].name) count++;
  for (int i = 0; i < count && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i == 0 ? "" : i == count - 1 ? " or " : ", ",
                          c[i].name);
}

static bool parse_flag_value(const char *v, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (!strcasecmp(v, yes[i])) return *out = true, true;
    if (!strcasecmp(v, no[i])) return *out = false, true;
  }
  return false;
}

static void store_int(const gs_option *o, int64_t x) {
  if (o->size == 4) *(int32_t *)o->target = (int32_t)x;
  else *(int64_t *)o->target = x;
}

/* Parses v into the row's target; false with cli->error set when v is not acceptable. */
static bool parse_value(gs_cli *cli, const gs_option *o, const char *v) {
  char *end = NULL;
  errno = 0;
  switch (o->kind) {
    case GS_OPTION_INT: {
      long long x = strtoll(v, &end, 10);
      if (errno || end == v || *end != '\0') {
        record(cli, "option --%s: '%s' is not an integer", o->name, v);
        return false;
      }
      if (x < o->ilo || x > o->ihi) {
        record(cli, "option --%s: %lld is outside %lld..%lld", o->name, x, (long long)o->ilo,
               (long long)o->ihi);
        return false;
      }
      store_int(o, x);
      return true;
    }
    case GS_OPTION_DOUBLE: {
      double x = strtod(v, &end);
      if (errno || end == v || *end != '\0' || !isfinite(x)) {
        record(cli, "option --%s: '%s' is not a number", o->name, v);
        return false;
      }
      if (x < o->lo || x > o->hi) {
        record(cli, "option --%s: %g is outside [%g, %g]", o->name, x, o->lo, o->hi);
        return false;
      }
      if (o->size == 4) *(float *)o->target = (float)x;
      else *(double *)o->target = x;
      return true;
    }
    case GS_OPTION_SIZE: {
      int64_t x = 0;
      if (!gs_parse_bytes(v, &x)) {
        record(cli, "option --%s: '%s' is not a size (examples: 512MiB, 2GiB, 1.5GB)", o->name, v);
        return false;
      }
      if (x < o->ilo) {
        char b[32];
        record(cli, "option --%s: '%s' is less than %s", o->name, v,
               gs_format_bytes(o->ilo, b, sizeof b));
        return false;
      }
      *(int64_t *)o->target = x;
      return true;
    }
    case GS_OPTION_SECONDS: {
      double x = strtod(v, &end);
      double mult = 1.0;
      if (end && strcmp(end, "ms") == 0) mult = 1e-3;
      else if (end && (strcmp(end, "s") == 0 || *end == '\0')) mult = 1.0;
      else if (end && strcmp(end, "min") == 0) mult = 60.0;
      else end = NULL;
      if (errno || !end || end == v || !isfinite(x) || x <= 0) {
        record(cli, "option --%s: '%s' is not a duration (examples: 2s, 150ms)", o->name, v);
        return false;
      }
      *(double *)o->target = x * mult;
      return true;
    }
    case GS_OPTION_STRING:
      *(const char **)o->target = v;
      return true;
    case GS_OPTION_ENUM:
      for (const gs_option_choice *c = o->choices; c->name; c++)
        if (!strcmp(v, c->name)) {
          *(int *)o->target = c->value;
          return true;
        }
      char names[256];
      list_choices(o->choices, names, sizeof names);
      record(cli, "option --%s: '%s' is not %s", o->name, v, names);
      return false;
    case GS_OPTION_CUSTOM: {
      char why[400];
      why[0] = '\0';
      if (o->parse(v, o->target, why, sizeof why)) return true;
      record(cli, "option --%s: %s", o->name, why);
      return false;
    }
    case GS_OPTION_FLAG:
    case GS_OPTION_SECTION:
      break;
  }
  record(cli, "option --%s: internal error: no parser for its kind", o->name);
  return false;
}

/* The row named name (length len), or NULL. */
static const gs_option *find(const gs_cli *cli, const char *name, size_t len) {
  for (int i = 0; i < cli->count; i++) {
    const gs_option *o = &cli->options[i];
    if (o->kind != GS_OPTION_SECTION && strlen(o->name) == len && !strncmp(o->name, name, len))
      return o;
  }
  return NULL;
}

/* Parses one argument (and its value from argv when separate); false with cli->error set. */
static bool parse_one(gs_cli *cli, int argc, char **argv, int *index) {
  const char *arg = argv[(*index)++];
  if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
    record(cli, "unknown option '%s'", arg);
    return false;
  }
  const char *name = arg + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  const gs_option *o = find(cli, name, len);
  bool negated = false;
  if (!o && len > 3 && !strncmp(name, "no-", 3)) {
    o = find(cli, name + 3, len - 3);
    negated = o && o->kind == GS_OPTION_FLAG;
    if (!negated) o = NULL;
  }
  if (!o) {
    record(cli, "unknown option '%.*s'", (int)(len + 2), arg);
    return false;
  }
  const int row = (int)(o - cli->options);
  cli->given[row]++;
  if (o->kind == GS_OPTION_FLAG) {
    bool on = !negated;
    if (eq && negated) {
      record(cli, "option --no-%s takes no value (use --%s=true|false)", o->name, o->name);
      return false;
    }
    if (eq && !parse_flag_value(eq + 1, &on)) {
      record(cli, "option --%s: '%s' is not true or false (a flag: --%s or --no-%s)", o->name,
             eq + 1, o->name, o->name);
      return false;
    }
    *(bool *)o->target = on;
    return true;
  }
  const char *v = eq ? eq + 1 : NULL;
  if (!v) {
    if (*index >= argc || !strncmp(argv[*index], "--", 2)) {
      record(cli, "option --%s needs a value (%s)", o->name, o->metavar ? o->metavar : "");
      return false;
    }
    v = argv[(*index)++];
  }
  return parse_value(cli, o, v);
}

static bool is_help(const char *arg) {
  return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int gs_cli_parse(gs_cli *cli, const char *command, const char *synopsis, const gs_option *options,
                 int count, int argc, char **argv, int first) {
  memset(cli, 0, sizeof *cli);
  cli->command = command;
  cli->synopsis = synopsis;
  cli->options = options;
  cli->count = count;
  if (count > GS_CLI_MAX_OPTIONS) {
    fprintf(stderr, "gnnscale %s: internal error: %d options, at most %d\n", command, count,
            GS_CLI_MAX_OPTIONS);
    return 2;
  }
  for (int i = 0; i < count; i++)
    if (options[i].kind == GS_OPTION_FLAG)
      cli->flag_default_on[i] = *(const bool *)options[i].target;
  for (int i = 0; i < count; i++)
    if (options[i].kind == GS_OPTION_ENUM && options[i].size != sizeof(int)) {
      fprintf(stderr, "gnnscale %s: internal error: option --%s has no enum target\n", command,
              options[i].name);
      return 2;
    }
  for (int i = first; i < argc; i++)
    if (is_help(argv[i])) {
      gs_cli_usage(cli, stdout);
      return 0;
    }
  int index = first;
  while (index < argc)
    if (!parse_one(cli, argc, argv, &index)) return gs_cli_reject(cli, "%s", cli->error);
  return GS_CLI_CONTINUE;
}

bool gs_cli_given(const gs_cli *cli, const char *name) {
  const gs_option *o = find(cli, name, strlen(name));
  return o && cli->given[o - cli->options] > 0;
}

int gs_cli_reject(const gs_cli *cli, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "gnnscale %s: %s\n", cli->command, msg);
  gs_cli_usage(cli, stderr);
  return 2;
}

/* Width of the option column of the usage text. */
#define USAGE_COLUMN 24

void gs_cli_usage(const gs_cli *cli, FILE *f) {
  fprintf(f, "usage: gnnscale %s %s\n", cli->command, cli->synopsis);
  for (int i = 0; i < cli->count; i++) {
    const gs_option *o = &cli->options[i];
    if (o->kind == GS_OPTION_SECTION) {
      fprintf(f, "%s:\n", o->name);
      continue;
    }
    char head[128];
    if (o->kind == GS_OPTION_FLAG)
      snprintf(head, sizeof head, "--%s%s", cli->flag_default_on[i] ? "no-" : "", o->name);
    else
      snprintf(head, sizeof head, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
    const int pad = USAGE_COLUMN - 2 - (int)strlen(head);
    if (pad >= 2) fprintf(f, "  %s%*s", head, pad, "");
    else fprintf(f, "  %s\n%*s", head, USAGE_COLUMN, "");
    for (const char *h = o->help; *h; h++) {
      fputc(*h, f);
      if (*h == '\n') fprintf(f, "%*s", USAGE_COLUMN, "");
    }
    fputc('\n', f);
  }
  for (int i = 0; i < cli->count; i++)
    if (cli->options[i].kind == GS_OPTION_FLAG) {
      fputs("Flags take --no-X (off) and --X=true|false; other options --X VALUE or --X=VALUE.\n",
            f);
      break;
    }
}
