/* Tests of experiments/: the sweep format (grid and zip expansion, resolution of settings that
 * do not apply, file:line errors), run_id stability, the train arguments of a run, support
 * checks against a train help text, the results file (a partial last line is cut, whole lines
 * are kept, a second writer is refused) and the JSON reader. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/json.h"
#include "experiments/results.h"
#include "experiments/runner.h"
#include "experiments/sweep.h"
#include "tests/test_files.h"

Suite *gs_sweep_suite(void);

static gs_sweep *parse_ok(const char *text) {
  gs_sweep *sw = NULL;
  gs_error err;
  gs_error_clear(&err);
  gs_status st = gs_sweep_parse(&sw, text, "t.sweep", &err);
  ck_assert_msg(st == GS_OK, "%s", err.msg);
  return sw;
}

static void parse_fails(const char *text, const char *message) {
  gs_sweep *sw = NULL;
  gs_error err;
  gs_error_clear(&err);
  ck_assert_int_eq(gs_sweep_parse(&sw, text, "t.sweep", &err), GS_ERR_PARSE);
  ck_assert_ptr_null(sw);
  ck_assert_msg(strstr(err.msg, message) != NULL, "'%s' lacks '%s'", err.msg, message);
}

START_TEST(test_sweep_grid_counts) {
  gs_sweep *sw = parse_ok("# a grid\n"
                          "dataset cora citeseer   # two graphs\n"
                          "strategy w d\n"
                          "phi 1 2 3\n"
                          "seed 0..4\n"
                          "epochs 50\n");
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  ck_assert_int_eq(gs_sweep_combinations(sw), 2 * 2 * 3 * 5);
  ck_assert_int_eq(n, 60);
  /* The first axis varies slowest, the last fastest. */
  ck_assert_str_eq(gs_sweep_get(&runs[0], "dataset"), "cora");
  ck_assert_str_eq(gs_sweep_get(&runs[0], "seed"), "0");
  ck_assert_str_eq(gs_sweep_get(&runs[1], "seed"), "1");
  ck_assert_str_eq(gs_sweep_get(&runs[59], "dataset"), "citeseer");
  ck_assert_str_eq(runs[0].canonical, "dataset=cora;epochs=50;phi=1;seed=0;strategy=w;stack=auto2");
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < i; j++) ck_assert_str_ne(runs[i].run_id, runs[j].run_id);
  gs_sweep_free(&sw);
  ck_assert_ptr_null(sw);
}
END_TEST

START_TEST(test_sweep_zip_and_dedup) {
  /* Paired axes move together; phi 0 is the base model whatever the strategy, and alpha,
   * beta, gamma belong to dwr alone: 2 datasets x (1 base + 3 strategies x 2 phis) x 2 seeds. */
  gs_sweep *sw = parse_ok("dataset cora citeseer\n"
                          "alpha 1 1.2\nbeta 2 1.5\ngamma 1.1 1.3\n"
                          "zip dataset alpha beta gamma\n"
                          "strategy dwr w d\n"
                          "phi 0 1 2\n"
                          "seed 0 1\n");
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  ck_assert_int_eq(gs_sweep_combinations(sw), 2 * 3 * 3 * 2);
  ck_assert_int_eq(n, 2 * (1 + 3 * 2) * 2);
  int64_t base = 0, dwr = 0;
  for (int64_t i = 0; i < n; i++) {
    const char *s = gs_sweep_get(&runs[i], "strategy");
    if (!strcmp(s, "base")) {
      base++;
      ck_assert_ptr_null(gs_sweep_get(&runs[i], "phi"));
      ck_assert_ptr_null(gs_sweep_get(&runs[i], "alpha"));
    } else if (!strcmp(s, "dwr")) {
      dwr++;
      const bool cora = !strcmp(gs_sweep_get(&runs[i], "dataset"), "cora");
      ck_assert_str_eq(gs_sweep_get(&runs[i], "beta"), cora ? "2" : "1.5");
    } else {
      ck_assert_ptr_null(gs_sweep_get(&runs[i], "gamma"));
    }
  }
  ck_assert_int_eq(base, 4);
  ck_assert_int_eq(dwr, 8);
  gs_sweep_free(&sw);
}
END_TEST

START_TEST(test_sweep_run_id_stable) {
  /* The run_id depends on the resolved settings only: not on their order in the file, the
   * spelling of numbers, comments, or settings that do not apply; and it is a fixed hash. */
  gs_sweep *a = parse_ok("dataset cora\nstrategy w\nphi 2\nseed 3\nlr 0.01\n");
  gs_sweep *b = parse_ok("# same run\nlr 1e-2\nseed 3\nphi 2.0\nstrategy w\nalpha 1.5\n"
                         "model gcn\ndataset cora\n");
  gs_sweep *c = parse_ok("dataset cora\nstrategy w\nphi 2\nseed 4\nlr 0.01\n");
  int64_t na, nb, nc;
  const gs_sweep_run *ra = gs_sweep_runs(a, &na), *rb = gs_sweep_runs(b, &nb),
                     *rc = gs_sweep_runs(c, &nc);
  ck_assert_int_eq(na, 1);
  ck_assert_int_eq(nb, 1);
  ck_assert_str_eq(ra[0].canonical, "dataset=cora;lr=0.01;phi=2;seed=3;strategy=w;stack=auto2");
  /* Naming the stack takes the program's default out of the run: no stack=auto2. */
  gs_sweep *plain = parse_ok("dataset cora\nstrategy w\nphi 2\nseed 3\nlr 0.01\nplain true\n");
  int64_t np;
  const gs_sweep_run *rp = gs_sweep_runs(plain, &np);
  ck_assert_str_eq(rp[0].canonical, "dataset=cora;lr=0.01;phi=2;plain=true;seed=3;strategy=w");
  ck_assert_str_ne(rp[0].run_id, ra[0].run_id);
  gs_sweep_free(&plain);
  ck_assert_str_eq(ra[0].run_id, rb[0].run_id);
  ck_assert_str_ne(ra[0].run_id, rc[0].run_id);
  char expect[17];
  snprintf(expect, sizeof expect, "%016llx",
           (unsigned long long)gs_sweep_hash("dataset=cora;lr=0.01;phi=2;seed=3;strategy=w;stack=auto2"));
  ck_assert_str_eq(ra[0].run_id, expect);
  /* The base run (phi 0) is scaled too: stack=auto2 whatever the order of the lines (it
   * depended on it when the strategy was read through a pointer that the sort moved). */
  gs_sweep *b1 = parse_ok("strategy w\nphi 0\ndataset cora\n");
  gs_sweep *b2 = parse_ok("dataset cora\nstrategy w\nphi 0\n");
  int64_t nb1, nb2;
  const gs_sweep_run *rb1 = gs_sweep_runs(b1, &nb1), *rb2 = gs_sweep_runs(b2, &nb2);
  ck_assert_str_eq(rb1[0].canonical, "dataset=cora;strategy=base;stack=auto2");
  ck_assert_str_eq(rb2[0].canonical, rb1[0].canonical);
  gs_sweep_free(&b1);
  gs_sweep_free(&b2);
  /* FNV-1a 64 of "a" (published test vector). */
  ck_assert(gs_sweep_hash("a") == 0xaf63dc4c8601ec8cULL);
  gs_sweep_free(&a);
  gs_sweep_free(&b);
  gs_sweep_free(&c);
}
END_TEST

START_TEST(test_sweep_errors_name_line) {
  parse_fails("dataset cora\nwidht 16\n", "t.sweep:2: unknown key 'widht'");
  parse_fails("dataset cora\n\nphi 1 x\n", "t.sweep:3: phi: 'x' is not a number");
  parse_fails("dataset cora\nphi -1\n", "t.sweep:2: phi: -1 is outside");
  parse_fails("dataset cora\nstrategy w\nstrategy d\n",
              "t.sweep:3: strategy was already given on line 2");
  parse_fails("dataset cora\nstrategy wd\n", "t.sweep:2: strategy: 'wd' is not dwr");
  parse_fails("dataset cora\nmodel gat\n", "t.sweep:2: model: 'gat' is not one of");
  parse_fails("dataset cora citeseer\nalpha 1\nzip dataset alpha\n",
              "t.sweep:3: zip: alpha has 1 values (line 2) but dataset has 2 (line 1)");
  parse_fails("dataset cora\nzip dataset seed\n", "t.sweep:2: zip: 'seed' is not a key");
  parse_fails("dataset cora\nseed 5..1\n", "t.sweep:2: seed: range '5..1'");
  parse_fails("dataset cora\nseed 1 1\n", "t.sweep:2: seed lists '1' twice");
  parse_fails("dataset cora\nepochs\n", "t.sweep:2: epochs has no value");
  parse_fails("dataset cora\nbase 2,16,1.5\n", "t.sweep:2: base: '2,16,1.5' is not D,W");
  parse_fails("dataset cora\nresidual yes\n", "t.sweep:2: residual: 'yes' is not true or false");
  parse_fails("seed 1\n", "t.sweep: no dataset line");
}
END_TEST

START_TEST(test_sweep_train_args) {
  gs_sweep *sw = parse_ok("dataset cora\nstrategy dwr\nphi 1\nalpha 1\nbeta 2\ngamma 1.1\n"
                          "base 2,16,0.5\nresidual true\nflag.features raw\nseed 7\n");
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  char *argv[64], storage[4096];
  int argc = gs_sweep_train_args(&runs[0], "datasets/data", 1, argv, 64, storage, sizeof storage);
  ck_assert_int_gt(argc, 0);
  char joined[4096] = "";
  for (int i = 0; i < argc; i++) {
    strcat(joined, argv[i]);
    strcat(joined, " ");
  }
  ck_assert_str_eq(joined, "--alpha 1 --base 2,16,0.5 --beta 2 --data datasets/data/cora "
                           "--features raw --gamma 1.1 --phi 1 --residual --seed 7 "
                           "--strategy dwr --threads 1 --json --quiet ");
  ck_assert_ptr_null(argv[argc]);
  /* The base model runs as width scaling at phi 0. */
  gs_sweep *b = parse_ok("dataset cora\nstrategy dwr\nphi 0\n");
  const gs_sweep_run *rb = gs_sweep_runs(b, &n);
  argc = gs_sweep_train_args(&rb[0], "d", 2, argv, 64, storage, sizeof storage);
  ck_assert_str_eq(argv[2], "--strategy");
  ck_assert_str_eq(argv[3], "w");
  ck_assert_str_eq(argv[5], "0");
  /* Too little room is refused, not truncated. */
  ck_assert_int_eq(gs_sweep_train_args(&runs[0], "datasets/data", 1, argv, 4, storage,
                                       sizeof storage), -1);
  gs_sweep_free(&sw);
  gs_sweep_free(&b);
}
END_TEST

START_TEST(test_sweep_support_check) {
  const char *help = "usage: gnnscale train --data DIR [options]\n"
                     "  --depth L             GCN layers\n"
                     "  --model gcn|sage      layer family\n";
  gs_error err;
  gs_sweep *ok = parse_ok("dataset cora\nmodel gcn sage\ndepth 2 3\n");
  ck_assert_int_eq(gs_sweep_check_support(ok, help, &err), GS_OK);
  gs_sweep *fam = parse_ok("dataset cora\nmodel gcn gin\n");
  ck_assert_int_eq(gs_sweep_check_support(fam, help, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "t.sweep:2: model gin") != NULL, "%s", err.msg);
  /* Batching full is the built-in behaviour: no flag needed; cluster needs --batching. */
  gs_sweep *full = parse_ok("dataset cora\nbatching full\n");
  ck_assert_int_eq(gs_sweep_check_support(full, help, &err), GS_OK);
  gs_sweep *cl = parse_ok("dataset cora\nbatching cluster\n");
  ck_assert_int_eq(gs_sweep_check_support(cl, help, &err), GS_ERR_INVALID);
  ck_assert_msg(strstr(err.msg, "no --batching option") != NULL, "%s", err.msg);
  gs_sweep_free(&ok);
  gs_sweep_free(&fam);
  gs_sweep_free(&full);
  gs_sweep_free(&cl);
}
END_TEST

START_TEST(test_results_resume_cuts_partial_line) {
  gs_test_make_tmp();
  char path[512];
  snprintf(path, sizeof path, "%s", gs_test_path("r.jsonl"));
  /* Two whole results, a foreign line, and a result cut short by a kill. */
  gs_test_write_plain("r.jsonl",
                      "{\"run_id\":\"aaaa\",\"config\":{\"seed\":0},\"status\":\"ok\"}\n"
                      "not json\n"
                      "{\"run_id\":\"bbbb\",\"config\":{\"seed\":1},\"status\":\"ok\"}\n"
                      "{\"run_id\":\"cccc\",\"config\":{\"se");
  gs_results r;
  gs_error err;
  ck_assert_int_eq(gs_results_open(&r, path, &err), GS_OK);
  ck_assert_int_eq(r.nrun_ids, 2);
  ck_assert(gs_results_has(&r, "aaaa"));
  ck_assert(gs_results_has(&r, "bbbb"));
  ck_assert(!gs_results_has(&r, "cccc"));
  ck_assert_int_eq(r.dropped_bytes, (int64_t)strlen("{\"run_id\":\"cccc\",\"config\":{\"se"));
  ck_assert_int_eq(r.bad_lines, 1);
  ck_assert_int_eq(r.first_bad_line, 2);
  /* A second writer is refused while the first holds the file. */
  gs_results r2;
  ck_assert_int_eq(gs_results_open(&r2, path, &err), GS_ERR_IO);
  ck_assert_msg(strstr(err.msg, "another sweep") != NULL, "%s", err.msg);
  const char *line = "{\"run_id\":\"cccc\",\"config\":{\"seed\":2},\"status\":\"ok\"}\n";
  ck_assert_int_eq(gs_results_append(&r, "cccc", line, strlen(line), &err), GS_OK);
  ck_assert(gs_results_has(&r, "cccc"));
  ck_assert_int_eq(gs_results_append(&r, "x", "two\nlines\n", 10, &err), GS_ERR_INVALID);
  gs_results_close(&r);
  ck_assert_str_eq(gs_test_read_plain(path),
                   "{\"run_id\":\"aaaa\",\"config\":{\"seed\":0},\"status\":\"ok\"}\n"
                   "not json\n"
                   "{\"run_id\":\"bbbb\",\"config\":{\"seed\":1},\"status\":\"ok\"}\n"
                   "{\"run_id\":\"cccc\",\"config\":{\"seed\":2},\"status\":\"ok\"}\n");
  gs_test_clean_tmp();
}
END_TEST

START_TEST(test_result_line_of_child_output) {
  gs_sweep *sw = parse_ok("dataset cora\nstrategy w\nphi 1\nseed 2\n");
  int64_t n;
  const gs_sweep_run *runs = gs_sweep_runs(sw, &n);
  gs_runner_options o = {"gnnscale", 1, 2, NULL, NULL, "abc123", "host, cpu, 2 cores online"};
  const char *child =
      "{\"command\":\"train\",\"dataset\":\"cora\",\"depth\":2,\"width\":24,\"features\":1433,"
      "\"params\":1,\"epochs\":50,\"runs\":[{\"seed\":2,\"test_acc\":0.81,\"val_acc\":0.8,"
      "\"val_loss\":0.7,\"train_acc\":0.99,\"final_train_loss\":0.2,\"best_epoch\":40,"
      "\"epochs_run\":50,\"epoch_ms\":2.5,\"flops_per_epoch\":123}],\"peak_rss_bytes\":1000,"
      "\"counted_peak_bytes\":500,\"predicted\":{\"peak_bytes\":500,\"epoch_ms\":2.0}}\n";
  char *line = NULL;
  size_t len = 0;
  gs_error err;
  ck_assert_int_eq(gs_runner_result_line(&line, &len, sw, &runs[0], child, 0, "", 3.5, &o, &err),
                   GS_OK);
  ck_assert(len > 0 && line[len - 1] == '\n' && memchr(line, '\n', len - 1) == NULL);
  gs_json v;
  ck_assert_int_eq(gs_json_parse(&v, line, len, &err), GS_OK);
  ck_assert_str_eq(gs_json_str(&v, "run_id"), runs[0].run_id);
  ck_assert_str_eq(gs_json_str(&v, "status"), "ok");
  ck_assert(gs_json_number(gs_json_get(&v, "config"), "phi", -1) == 1.0);
  ck_assert(gs_json_number(&v, "test_acc", -1) == 0.81);
  ck_assert(gs_json_number(gs_json_get(&v, "curve"), "best_epoch", -1) == 40);
  ck_assert(gs_json_number(gs_json_get(&v, "predicted"), "epoch_ms", -1) == 2.0);
  ck_assert_str_eq(gs_json_str(&v, "git_rev"), "abc123");
  gs_json_free(&v);
  free(line);
  /* A child that failed: the line says so, with the last line of its stderr. */
  ck_assert_int_eq(gs_runner_result_line(&line, &len, sw, &runs[0], "", 1 << 8,
                                         "note\ngnnscale train: depth 200 is too deep\n", 0.1,
                                         &o, &err), GS_OK);
  ck_assert_int_eq(gs_json_parse(&v, line, len, &err), GS_OK);
  ck_assert_str_eq(gs_json_str(&v, "status"), "failed");
  ck_assert_str_eq(gs_json_str(&v, "error"), "gnnscale train: depth 200 is too deep");
  ck_assert(gs_json_number(&v, "exit", -1) == 1);
  gs_json_free(&v);
  free(line);
  gs_sweep_free(&sw);
}
END_TEST

START_TEST(test_json_reader) {
  gs_json v;
  gs_error err;
  const char *t = " {\"a\": [1, -2.5e1, true, null], \"s\": \"x\\\"\\u00e9\\n\", \"o\": {}} ";
  ck_assert_int_eq(gs_json_parse(&v, t, strlen(t), &err), GS_OK);
  const gs_json *a = gs_json_get(&v, "a");
  ck_assert_int_eq(a->count, 4);
  ck_assert(a->items[1].number == -25.0);
  ck_assert(a->items[2].boolean);
  ck_assert_int_eq(a->items[3].kind, GS_JSON_NULL);
  ck_assert_str_eq(gs_json_str(&v, "s"), "x\"\xc3\xa9\n");
  ck_assert_int_eq(gs_json_get(&v, "o")->count, 0);
  gs_json_free(&v);
  const char *bad[] = {"{\"a\":1,}", "[1 2]", "{\"a\" 1}", "01", "1.", "\"abc", "[1]x", "",
                       "{\"a\":tru}", "-"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_int_eq(gs_json_parse(&v, bad[i], strlen(bad[i]), &err), GS_ERR_PARSE);
}
END_TEST

Suite *gs_sweep_suite(void) {
  Suite *s = suite_create("sweep");
  TCase *tc = tcase_create("sweep");
  tcase_add_test(tc, test_sweep_grid_counts);
  tcase_add_test(tc, test_sweep_zip_and_dedup);
  tcase_add_test(tc, test_sweep_run_id_stable);
  tcase_add_test(tc, test_sweep_errors_name_line);
  tcase_add_test(tc, test_sweep_train_args);
  tcase_add_test(tc, test_sweep_support_check);
  tcase_add_test(tc, test_results_resume_cuts_partial_line);
  tcase_add_test(tc, test_result_line_of_child_output);
  tcase_add_test(tc, test_json_reader);
  suite_add_tcase(s, tc);
  return s;
}
