/* The option tables of the gnnscale program: every command describes its options once, as an
 * array of gs_option rows (name, kind, range, target, help), and the parser, the error messages
 * and the usage text are all made from that array.
 *
 * HOW TO ADD AN OPTION: add one row to the command's table (in cli/cmd_<command>.c), e.g.
 *     GS_OPT_INT("hops", "K", 1, 64, &o.hops, "propagation steps (default 10)"),
 * The target's type is checked at compile time (an int row needs an int32_t, int64_t or
 * uint64_t target; a double row a double or float; a flag a bool; a string a const char *).
 * The default is whatever the target holds before parsing; say it in the help text. An option
 * that several commands share goes in the shared rows and groups below, once. Whether an
 * option was given at all: gs_cli_given(&cli, "hops").
 *
 * Rules every command gets from the parser:
 * - `--name value` and `--name=value`; a value beginning with "--" is taken for a forgotten
 *   value ("option --data needs a value").
 * - Flags: `--x`, `--no-x`, `--x=true|false|yes|no|on|off|1|0`; any other value is an error,
 *   never ignored. A flag that is on by default is listed as `--no-x` in the usage text.
 * - Unknown options, missing values, malformed and out-of-range values: a message naming the
 *   option, then the usage on stderr, exit status 2. `--help` / `-h`: the usage on stdout, 0.
 * - An option given twice: the later value wins. */
#ifndef GS_CLI_OPTIONS_H
#define GS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  GS_OPTION_SECTION, /* a heading in the usage text, no option */
  GS_OPTION_FLAG,    /* bool */
  GS_OPTION_INT,     /* integer in [ilo, ihi] */
  GS_OPTION_DOUBLE,  /* finite number in [lo, hi] */
  GS_OPTION_SIZE,    /* byte size (512MiB, 2GiB, 1.5GB, 1000000), at least ilo bytes */
  GS_OPTION_SECONDS, /* duration (2s, 150ms, 1.5, 2min), positive */
  GS_OPTION_STRING,  /* any text (a path, a name) */
  GS_OPTION_ENUM,    /* one of the names of `choices` */
  GS_OPTION_CUSTOM,  /* parsed by `parse` */
} gs_option_kind;

/* One value of an enum option: its name on the command line and the value stored. */
typedef struct {
  const char *name;
  int value;
} gs_option_choice;

/* Parses value into target; on false, why holds the reason, e.g. "'x' is not D,W or D,W,R". */
typedef bool (*gs_option_parse_fn)(const char *value, void *target, char *why, size_t cap);

typedef struct {
  const char *name; /* without the leading "--"; for a section, its heading */
  gs_option_kind kind;
  const char *metavar; /* "DIR", "N"; NULL for flags */
  int64_t ilo, ihi;    /* INT range; SIZE minimum */
  double lo, hi;       /* DOUBLE range */
  void *target;
  size_t size;                     /* sizeof *target, for INT, DOUBLE and ENUM */
  const gs_option_choice *choices; /* ENUM: ends with a {NULL, 0} row */
  gs_option_parse_fn parse;        /* CUSTOM */
  const char *help;                /* "\n" starts a continuation line in the usage text */
} gs_option;

/* Target sizes checked at compile time: a wrong target type does not compile. */
#define GS_OPTION_INT_SIZE(t) _Generic((t), int32_t *: 4, int64_t *: 8, uint64_t *: 8)
#define GS_OPTION_REAL_SIZE(t) _Generic((t), double *: 8, float *: 4)
#define GS_OPTION_BOOL(t) _Generic((t), bool *: (t))
#define GS_OPTION_TEXT(t) _Generic((t), const char **: (t))
#define GS_OPTION_I64(t) _Generic((t), int64_t *: (t))
#define GS_OPTION_F64(t) _Generic((t), double *: (t))

/* The row makers: one line per option in a table. */
#define GS_OPT_SECTION(title) {.name = (title), .kind = GS_OPTION_SECTION}
#define GS_OPT_FLAG(n, t, h) \
  {.name = (n), .kind = GS_OPTION_FLAG, .target = GS_OPTION_BOOL(t), .size = 1, .help = (h)}
#define GS_OPT_INT(n, m, lo_, hi_, t, h)                                                   \
  {.name = (n), .kind = GS_OPTION_INT, .metavar = (m), .ilo = (lo_), .ihi = (hi_),         \
   .target = (t), .size = GS_OPTION_INT_SIZE(t), .help = (h)}
#define GS_OPT_DOUBLE(n, m, lo_, hi_, t, h)                                                \
  {.name = (n), .kind = GS_OPTION_DOUBLE, .metavar = (m), .lo = (lo_), .hi = (hi_),        \
   .target = (t), .size = GS_OPTION_REAL_SIZE(t), .help = (h)}
#define GS_OPT_SIZE(n, m, min, t, h)                                                       \
  {.name = (n), .kind = GS_OPTION_SIZE, .metavar = (m), .ilo = (min),                      \
   .target = GS_OPTION_I64(t), .size = 8, .help = (h)}
#define GS_OPT_SECONDS(n, m, t, h)                                                         \
  {.name = (n), .kind = GS_OPTION_SECONDS, .metavar = (m), .target = GS_OPTION_F64(t),     \
   .size = 8, .help = (h)}
#define GS_OPT_STRING(n, m, t, h)                                                          \
  {.name = (n), .kind = GS_OPTION_STRING, .metavar = (m), .target = GS_OPTION_TEXT(t),     \
   .size = sizeof(char *), .help = (h)}
/* Enum targets are C enums (int-sized); the parser checks the size. */
#define GS_OPT_ENUM(n, m, ch, t, h)                                                        \
  {.name = (n), .kind = GS_OPTION_ENUM, .metavar = (m), .choices = (ch), .target = (t),    \
   .size = sizeof *(t), .help = (h)}
#define GS_OPT_CUSTOM(n, m, fn, t, h)                                                      \
  {.name = (n), .kind = GS_OPTION_CUSTOM, .metavar = (m), .parse = (fn), .target = (t),    \
   .help = (h)}

/* Parsing state of one command line. */
#define GS_CLI_MAX_OPTIONS 96
typedef struct {
  const char *command;  /* "train" */
  const char *synopsis; /* "--data DIR [options]" */
  const gs_option *options;
  int count;
  int given[GS_CLI_MAX_OPTIONS];            /* times each row was given */
  bool flag_default_on[GS_CLI_MAX_OPTIONS]; /* flags on before parsing: shown as --no-x */
  char error[512];
} gs_cli;

/* Returned by gs_cli_parse when the command should go on. */
#define GS_CLI_CONTINUE (-1)

/* Parses argv[first..argc) against the table (count rows) and stores values in the targets.
 * Returns GS_CLI_CONTINUE, or the exit status after printing: 0 after --help (usage on
 * stdout), 2 after an error (message and usage on stderr). */
int gs_cli_parse(gs_cli *cli, const char *command, const char *synopsis, const gs_option *options,
                 int count, int argc, char **argv, int first);

/* Whether the option `name` (without "--") was given on the command line. */
bool gs_cli_given(const gs_cli *cli, const char *name);

/* For checks across options after parsing: prints "gnnscale <command>: <message>" and the
 * usage on stderr and returns 2 (the exit status of bad usage). */
int gs_cli_reject(const gs_cli *cli, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The usage text, made from the table. */
void gs_cli_usage(const gs_cli *cli, FILE *f);

/* Number of rows of a table array. */
#define GS_CLI_ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* ---- Shared rows and groups (used by several commands; change them here, once). ---- */

/* Choices shared by the commands that take them. */
extern const gs_option_choice gs_cli_order_choices[];    /* auto, transform, aggregate */
extern const gs_option_choice gs_cli_norm_choices[];     /* sym, row, none (gs_norm) */
extern const gs_option_choice gs_cli_decay_choices[];    /* first, all */
extern const gs_option_choice gs_cli_featprep_choices[]; /* auto, rownorm, raw, binary, l2 */
extern const gs_option_choice gs_cli_model_choices[];    /* gcn, sage, gin, sgc, appnp */
extern const gs_option_choice gs_cli_gin_norm_choices[]; /* auto, batch, none (gs_gin_norm) */
extern const gs_option_choice gs_cli_sgc_input_choices[]; /* auto, dense, csr */

/* Custom parsers: "D,W[,R]" into a gs_scaling_rule's base; a strategy name into a
 * gs_scaling_strategy. */
bool gs_cli_parse_base_option(const char *value, void *rule, char *why, size_t cap);
bool gs_cli_parse_strategy_option(const char *value, void *strategy, char *why, size_t cap);

/* threads: one row for every command. */
#define GS_OPT_THREADS(t) \
  GS_OPT_INT("threads", "T", 0, 1024, t, "threads (default 0: all cores)")
/* output */
#define GS_OPT_JSON(t) GS_OPT_FLAG("json", t, "print one JSON object on stdout")

/* data: a dataset folder and its split. */
#define GS_OPTS_DATA(data, split)                                                        \
  GS_OPT_SECTION("data"),                                                                \
      GS_OPT_STRING("data", "DIR", data,                                                 \
                    "dataset folder (datasets/data/cora; train and info also read an\n"  \
                    "edge-list file)"),                                                  \
      GS_OPT_STRING("split", "NAME", split, "split folder (default: public, else the first)")

/* model family (a gs_model_family *): what depth and width mean is in README.md */
#define GS_OPT_MODEL_FAMILY(t)                                                             \
  GS_OPT_ENUM("model", "gcn|sage|gin|sgc|appnp", gs_cli_model_choices, t,                  \
              "layer family (default gcn); sgc, appnp: depth = propagation\n"              \
              "steps K; sage and gin set --norm row and none")

/* GIN's MLP normalisation (a gs_gin_norm *). */
#define GS_OPT_GIN_NORM(t)                                                                 \
  GS_OPT_ENUM("gin-norm", "auto|batch|none", gs_cli_gin_norm_choices, t,                   \
              "GIN: BatchNorm in each MLP, or none (the plain sum); default auto:\n"      \
              "batch when the mean closed degree nnz(A+I)/n is above 12 (README)")
/* --sgc-input (target gs_sgc_input *): the storage of SGC's Â^K X, in train and in the
 * commands that price what train holds (plan, search). */
#define GS_OPT_SGC_INPUT(t)                                                                \
  GS_OPT_ENUM("sgc-input", "auto|dense|csr", gs_cli_sgc_input_choices, t,                  \
              "storage of SGC's A_hat^K X (default auto: CSR below 25% non-zeros,\n"       \
              "as the loader stores features; the same numbers either way)")

/* model: the layers (a gs_model_config *) and the adjacency normalisation. */
#define GS_OPTS_MODEL(cfg, adjacency_norm)                                                 \
  GS_OPT_SECTION("model"),                                                                 \
      GS_OPT_MODEL_FAMILY(&(cfg)->family),                                                 \
      GS_OPT_GIN_NORM(&(cfg)->gin_norm),                                                   \
      GS_OPT_DOUBLE("dropout", "X", 0.0, 0.99, &(cfg)->dropout,                            \
                    "dropout rate before every layer (default 0.5)"),                      \
      GS_OPT_FLAG("residual", &(cfg)->residual,                                            \
                  "residual connections on hidden layers (depth >= 3)"),                   \
      GS_OPT_FLAG("layernorm", &(cfg)->norm, "LayerNorm before each hidden ReLU"),         \
      GS_OPT_FLAG("rezero", &(cfg)->rezero,                                                \
                  "scale each residual branch by a learnable alpha from 0 (ReZero;\n"     \
                  "needs --residual)"),                                                    \
      GS_OPT_FLAG("identity-map", &(cfg)->identity_map,                                    \
                  "GCN residual layers multiply by (1-b_l) I + b_l W_l,\n"                 \
                  "b_l = ln(0.5/l + 1) (GCNII's identity mapping; needs --residual)"),      \
      GS_OPT_ENUM("order", "auto|transform|aggregate", gs_cli_order_choices, &(cfg)->order, \
                  "layer product order (default auto: fewer FLOPs)"),                      \
      GS_OPT_ENUM("norm", "sym|row|none", gs_cli_norm_choices, adjacency_norm,             \
                  "adjacency normalisation (default sym: D^-1/2 (A+I) D^-1/2)")

/* --plain (target bool *): the stack without residual connections and LayerNorm, where a
 * scaled model would get the deep stack (gs_cli_model_stack). */
#define GS_OPT_PLAIN(t)                                                                  \
  GS_OPT_FLAG("plain", t,                                                                \
              "plain stack at any depth (default for scaled models from depth 4,\n"      \
              "where a plain GCN collapses: residual + rezero + identity map\n"          \
              "for GCN, residual + rezero + layernorm for SAGE and GIN)")

/* training rows */
#define GS_OPT_EPOCHS(t) GS_OPT_INT("epochs", "N", 1, 1000000, t, "epochs (default 200)")
#define GS_OPT_PATIENCE(t)                                                               \
  GS_OPT_INT("patience", "N", 0, 1000000, t,                                             \
             "stop after N epochs without a better validation accuracy or\n"             \
             "loss; 0 = never (default 100)")
#define GS_OPT_DECAY(t)                                                                  \
  GS_OPT_ENUM("decay", "first|all", gs_cli_decay_choices, t,                             \
              "layers whose weights decay (default first, as Kipf & Welling)")

/* scaling rows (targets in a gs_scaling_rule *) */
#define GS_OPT_BASE(rule)                                                                \
  GS_OPT_CUSTOM("base", "D,W[,R]", gs_cli_parse_base_option, rule,                       \
                "base depth, width, resolution (default 2,16,1)")
#define GS_OPT_WIDTH_MULTIPLE(rule)                                                      \
  GS_OPT_INT("width-multiple", "M", 1, 1 << 20, &(rule)->width_multiple,                 \
             "round scaled widths to multiples of M (default 8; 1 = exact)")
#define GS_OPT_CONSTANTS(rule)                                                           \
  GS_OPT_DOUBLE("alpha", "A", 1.0, 100.0, &(rule)->alpha,                                \
                "dwr depth constant (give alpha, beta and gamma together;\n"             \
                "default EfficientNet's 1.2, 1.1, 1.15, found for CNNs)"),               \
      GS_OPT_DOUBLE("beta", "B", 1.0, 100.0, &(rule)->beta, "dwr width constant"),       \
      GS_OPT_DOUBLE("gamma", "G", 1.0, 100.0, &(rule)->gamma, "dwr resolution constant")
#define GS_OPT_FAST_A(rule) \
  GS_OPT_DOUBLE("a", "X", 0.0, 1.0, &(rule)->a, "dWr width emphasis in [0, 1] (default 0.8)")
#define GS_OPT_PROFILE(t)                                                                \
  GS_OPT_STRING("profile", "FILE", t,                                                    \
                "machine profile for the predicted epoch time (default: the file\n"      \
                "`gnnscale calibrate` saved, $GNNSCALE_CACHE/profile.txt or\n"           \
                "~/.cache/gnnscale/profile.txt, else a rough built-in one)")

#endif
