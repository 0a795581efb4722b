/* A recursive-descent JSON reader (RFC 8259) building a small tree: enough for the one-object
 * lines of a sweep's results file and the --json output of the training command. */
#include "experiments/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
  const char *s;
  size_t len, pos;
  gs_error *err;
} parser;

static void skip_space(parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static gs_status fail(parser *p, const char *what) {
  if (p->pos >= p->len)
    return gs_error_set(p->err, GS_ERR_PARSE, "JSON ends early (at byte %zu): expected %s",
                        p->pos, what);
  return gs_error_set(p->err, GS_ERR_PARSE, "JSON byte %zu ('%c'): expected %s", p->pos + 1,
                      p->s[p->pos], what);
}

static gs_status nomem(parser *p) { return gs_error_set(p->err, GS_ERR_NOMEM, "out of memory"); }

static int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses a string at p->pos (which is at '"') into a malloc'd UTF-8 buffer. */
static gs_status parse_string(parser *p, char **out) {
  p->pos++;
  size_t start = p->pos;
  while (p->pos < p->len && p->s[p->pos] != '"') p->pos += p->s[p->pos] == '\\' ? 2 : 1;
  if (p->pos >= p->len) return fail(p, "a closing '\"'");
  /* The decoded text is never longer than the escaped one. */
  char *o = malloc(p->pos - start + 1);
  if (!o) return nomem(p);
  size_t n = 0;
  for (size_t i = start; i < p->pos; i++) {
    unsigned char c = (unsigned char)p->s[i];
    if (c < 0x20) {
      free(o);
      p->pos = i;
      return fail(p, "no control character inside a string");
    }
    if (c != '\\') {
      o[n++] = (char)c;
      continue;
    }
    char e = p->s[++i];
    switch (e) {
      case '"': o[n++] = '"'; break;
      case '\\': o[n++] = '\\'; break;
      case '/': o[n++] = '/'; break;
      case 'b': o[n++] = '\b'; break;
      case 'f': o[n++] = '\f'; break;
      case 'n': o[n++] = '\n'; break;
      case 'r': o[n++] = '\r'; break;
      case 't': o[n++] = '\t'; break;
      case 'u': {
        int cp = i + 4 < p->pos ? hex4(p->s + i + 1) : -1;
        if (cp < 0) {
          free(o);
          p->pos = i;
          return fail(p, "four hex digits after \\u");
        }
        i += 4;
        unsigned u = (unsigned)cp;
        if (u >= 0xD800 && u < 0xDC00 && i + 6 < p->pos && p->s[i + 1] == '\\' &&
            p->s[i + 2] == 'u') {
          int lo = hex4(p->s + i + 3);
          if (lo >= 0xDC00 && lo < 0xE000) {
            u = 0x10000 + ((u - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
            i += 6;
          }
        }
        /* A \uXXXX escape takes 6 bytes and decodes to at most 4 (a pair: 12 to 4). */
        n += put_utf8(o + n, u);
        break;
      }
      default:
        free(o);
        p->pos = i;
        return fail(p, "a valid escape");
    }
  }
  o[n] = '\0';
  p->pos++;
  *out = o;
  return GS_OK;
}

static gs_status parse_value(parser *p, gs_json *v, int depth);

static gs_status parse_container(parser *p, gs_json *v, int depth, bool object) {
  const char close = object ? '}' : ']';
  p->pos++;
  v->kind = object ? GS_JSON_OBJECT : GS_JSON_ARRAY;
  int64_t cap = 0;
  skip_space(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    return GS_OK;
  }
  for (;;) {
    if (v->count == cap) {
      cap = cap ? 2 * cap : 8;
      gs_json *items = realloc(v->items, (size_t)cap * sizeof *items);
      if (!items) return nomem(p);
      v->items = items;
      if (object) {
        char **keys = realloc(v->keys, (size_t)cap * sizeof *keys);
        if (!keys) return nomem(p);
        v->keys = keys;
      }
    }
    skip_space(p);
    if (object) {
      if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "a member name");
      gs_status st = parse_string(p, &v->keys[v->count]);
      if (st != GS_OK) return st;
      skip_space(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') {
        free(v->keys[v->count]);
        return fail(p, "':'");
      }
      p->pos++;
    }
    memset(&v->items[v->count], 0, sizeof v->items[0]);
    gs_status st = parse_value(p, &v->items[v->count], depth + 1);
    v->count++; /* counted even on failure, so that gs_json_free releases it */
    if (st != GS_OK) return st;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == close) {
      p->pos++;
      return GS_OK;
    }
    return fail(p, object ? "',' or '}'" : "',' or ']'");
  }
}

static gs_status parse_value(parser *p, gs_json *v, int depth) {
  if (depth > MAX_DEPTH) return fail(p, "less nesting");
  skip_space(p);
  if (p->pos >= p->len) return fail(p, "a value");
  const char c = p->s[p->pos];
  if (c == '{' || c == '[') return parse_container(p, v, depth, c == '{');
  if (c == '"') {
    v->kind = GS_JSON_STRING;
    return parse_string(p, &v->string);
  }
  static const struct { const char *word; gs_json_kind kind; bool b; } words[] = {
      {"true", GS_JSON_BOOL, true}, {"false", GS_JSON_BOOL, false}, {"null", GS_JSON_NULL, false}};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t n = strlen(words[i].word);
    if (p->len - p->pos >= n && !memcmp(p->s + p->pos, words[i].word, n)) {
      v->kind = words[i].kind;
      v->boolean = words[i].b;
      p->pos += n;
      return GS_OK;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    /* strtod accepts more than JSON (hex, inf): check the JSON number grammar first. */
    size_t i = p->pos;
    if (p->s[i] == '-') i++;
    size_t digits = i;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    if (i == digits) return fail(p, "a digit");
    if (i - digits > 1 && p->s[digits] == '0') return fail(p, "no leading zero");
    if (i < p->len && p->s[i] == '.') {
      size_t frac = ++i;
      while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
      if (i == frac) return fail(p, "a digit after '.'");
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
      i++;
      if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
      size_t ex = i;
      while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
      if (i == ex) return fail(p, "an exponent");
    }
    char buf[64];
    if (i - p->pos >= sizeof buf) return fail(p, "a shorter number");
    memcpy(buf, p->s + p->pos, i - p->pos);
    buf[i - p->pos] = '\0';
    v->kind = GS_JSON_NUMBER;
    v->number = strtod(buf, NULL);
    p->pos = i;
    return GS_OK;
  }
  return fail(p, "a value");
}

gs_status gs_json_parse(gs_json *out, const char *text, size_t len, gs_error *err) {
  parser p = {text, len, 0, err};
  gs_json v;
  memset(&v, 0, sizeof v);
  gs_status st = parse_value(&p, &v, 0);
  if (st == GS_OK) {
    skip_space(&p);
    if (p.pos < p.len) st = fail(&p, "the end after one value");
  }
  if (st != GS_OK) {
    gs_json_free(&v);
    return st;
  }
  *out = v;
  return GS_OK;
}

void gs_json_free(gs_json *v) {
  if (!v) return;
  for (int64_t i = 0; i < v->count; i++) {
    gs_json_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->string);
  memset(v, 0, sizeof *v);
}

const gs_json *gs_json_get(const gs_json *v, const char *name) {
  if (!v || v->kind != GS_JSON_OBJECT) return NULL;
  for (int64_t i = 0; i < v->count; i++)
    if (!strcmp(v->keys[i], name)) return &v->items[i];
  return NULL;
}

double gs_json_number(const gs_json *v, const char *name, double fallback) {
  const gs_json *m = gs_json_get(v, name);
  return m && m->kind == GS_JSON_NUMBER ? m->number : fallback;
}

const char *gs_json_str(const gs_json *v, const char *name) {
  const gs_json *m = gs_json_get(v, name);
  return m && m->kind == GS_JSON_STRING ? m->string : NULL;
}

void gs_json_write_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
    else if (*c == '\n') fputs("\\n", f);
    else if (*c == '\t') fputs("\\t", f);
    else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
    else fputc(*c, f);
  }
  fputc('"', f);
}

void gs_json_write(FILE *f, const gs_json *v) {
  switch (v->kind) {
    case GS_JSON_NULL: fputs("null", f); break;
    case GS_JSON_BOOL: fputs(v->boolean ? "true" : "false", f); break;
    case GS_JSON_NUMBER:
      if (v->number == floor(v->number) && fabs(v->number) < 9e15)
        fprintf(f, "%.0f", v->number);
      else {
        /* The shortest of 15 to 17 digits that reads back exactly. */
        char buf[32];
        for (int digits = 15; digits <= 17; digits++) {
          snprintf(buf, sizeof buf, "%.*g", digits, v->number);
          if (strtod(buf, NULL) == v->number) break;
        }
        fputs(buf, f);
      }
      break;
    case GS_JSON_STRING: gs_json_write_string(f, v->string); break;
    case GS_JSON_ARRAY:
    case GS_JSON_OBJECT:
      fputc(v->kind == GS_JSON_ARRAY ? '[' : '{', f);
      for (int64_t i = 0; i < v->count; i++) {
        if (i) fputc(',', f);
        if (v->kind == GS_JSON_OBJECT) {
          gs_json_write_string(f, v->keys[i]);
          fputc(':', f);
        }
        gs_json_write(f, &v->items[i]);
      }
      fputc(v->kind == GS_JSON_ARRAY ? ']' : '}', f);
      break;
  }
}
