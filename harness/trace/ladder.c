/* Ladder diagrams as hand-written SVG (ladder.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "synfin/ladder.h"
#include "synfin/trace.h"

#define ROW 26      /* pixels per row */
#define TOP 86      /* the heading and the lifelines' names */
#define X_TIME 12   /* the time column */
#define X_STACK 370 /* the stack's lifeline */
#define X_PEER 870  /* the peer's lifeline */
#define WIDTH 1280
#define MAX_ROWS 2400 /* larger traces lose rows in the middle */
#define LABEL_MAX 74

enum item_kind { IT_PACKET, IT_CALL, IT_STATE, IT_NOTE, IT_EXPECTED, IT_GAP };

struct item {
  int kind;
  int dir;
  uint64_t t_us;
  char *text;   /* CALL, STATE, NOTE, EXPECTED */
  uint8_t *pkt; /* PACKET */
  size_t len;
  bool failed;
};

struct sf_ladder {
  char *title;
  struct item *v;
  size_t n, cap;
  size_t packets; /* added so far */
  long fail_packet;
  char *expected;
  int expected_dir;
  char *failure;
};

sf_ladder *sf_ladder_new(const char *title) {
  sf_ladder *l = calloc(1, sizeof(*l));
  if (!l)
    return NULL;
  l->title = strdup(title ? title : "");
  l->fail_packet = -1;
  return l;
}

void sf_ladder_free(sf_ladder *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].text);
    free(l->v[i].pkt);
  }
  free(l->v);
  free(l->title);
  free(l->expected);
  free(l->failure);
  free(l);
}

static struct item *add(sf_ladder *l, int kind, uint64_t t) {
  if (!l)
    return NULL;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct item *n = realloc(l->v, cap * sizeof(*n));
    if (!n)
      return NULL;
    l->v = n;
    l->cap = cap;
  }
  struct item *it = &l->v[l->n++];
  memset(it, 0, sizeof(*it));
  it->kind = kind;
  it->t_us = t;
  return it;
}

void sf_ladder_packet(sf_ladder *l, uint64_t t_us, int dir, const uint8_t *pkt,
                      size_t len) {
  struct item *it = add(l, IT_PACKET, t_us);
  if (!it)
    return;
  it->dir = dir;
  it->pkt = malloc(len ? len : 1);
  if (it->pkt)
    memcpy(it->pkt, pkt, len);
  it->len = it->pkt ? len : 0;
  it->failed = (long)l->packets == l->fail_packet;
  l->packets++;
}

static void add_text(sf_ladder *l, int kind, uint64_t t, const char *text) {
  struct item *it = add(l, kind, t);
  if (it)
    it->text = strdup(text ? text : "");
}

void sf_ladder_call(sf_ladder *l, uint64_t t_us, const char *text) {
  add_text(l, IT_CALL, t_us, text);
}

void sf_ladder_state(sf_ladder *l, uint64_t t_us, const char *text) {
  add_text(l, IT_STATE, t_us, text);
}

void sf_ladder_note(sf_ladder *l, uint64_t t_us, const char *text) {
  add_text(l, IT_NOTE, t_us, text);
}

void sf_ladder_mark_packet(sf_ladder *l, size_t packet) {
  if (!l)
    return;
  l->fail_packet = (long)packet;
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].kind == IT_PACKET)
      l->v[i].failed = k++ == packet;
}

void sf_ladder_expected(sf_ladder *l, int dir, const char *text) {
  if (!l)
    return;
  free(l->expected);
  l->expected = strdup(text ? text : "");
  l->expected_dir = dir;
}

void sf_ladder_failure(sf_ladder *l, const char *text) {
  if (!l)
    return;
  free(l->failure);
  l->failure = strdup(text ? text : "");
}

/* ---- writing ---- */

static void esc(FILE *f, const char *s, size_t max) {
  size_t n = 0;
  for (; *s && n < max; s++, n++) {
    unsigned char c = (unsigned char)*s;
    if (c == '&')
      fputs("&amp;", f);
    else if (c == '<')
      fputs("&lt;", f);
    else if (c == '>')
      fputs("&gt;", f);
    else if (c == '"')
      fputs("&quot;", f);
    else if (c < 0x20)
      fputc(' ', f);
    else
      fputc(c, f);
  }
  if (*s)
    fputs("...", f);
}

/* The packet as a label: script syntax without the direction and the
 * comment, sequence numbers relative to each side's first SYN. */
static void label(const struct item *it, uint32_t out_isn, uint32_t in_isn,
                  char *buf, size_t cap) {
  sf_pkt_view v;
  sf_pkt_decode(it->pkt, it->len, &v);
  sf_pkt_fmt fm = {.dir = it->dir,
                   .relative = true,
                   .out_isn = out_isn,
                   .in_isn = in_isn,
                   .show_win = true};
  char line[1024];
  sf_pkt_format(&v, &fm, line, sizeof(line));
  char *c = strstr(line, " //");
  if (c)
    *c = '\0';
  const char *p = line;
  if ((p[0] == '<' || p[0] == '>') && p[1] == ' ')
    p += 2;
  snprintf(buf, cap, "%s", p);
}

static bool syn_of(const struct item *it, int dir, uint32_t *isn) {
  sf_pkt_view v;
  if (it->kind != IT_PACKET || it->dir != dir ||
      sf_pkt_decode(it->pkt, it->len, &v) < 0 || v.l4 != SF_PKT_L4_TCP ||
      !(v.tcp.flags & SF_TCP_SYN))
    return false;
  *isn = v.tcp.seq;
  return true;
}

static const char *const style =
    "<style>\n"
    "text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:12px;fill:#1f2933}\n"
    ".title{font-size:15px;font-weight:bold}\n"
    ".head{font-size:13px;font-weight:bold}\n"
    ".time{fill:#6b7785}\n"
    ".call{fill:#1d4ed8}\n"
    ".state{fill:#047857;font-size:11px}\n"
    ".note{fill:#6b7785;font-style:italic;font-size:11px}\n"
    ".fail{fill:#c81e1e}\n"
    ".life{stroke:#9aa5b1;stroke-width:2}\n"
    ".in{stroke:#334e68;stroke-width:1.4;fill:none}\n"
    ".out{stroke:#0b6e4f;stroke-width:1.4;fill:none}\n"
    ".bad{stroke:#c81e1e;stroke-width:2.4;fill:none}\n"
    ".exp{stroke:#c81e1e;stroke-width:1.4;stroke-dasharray:6 4;fill:none}\n"
    "</style>\n";

static void arrow(FILE *f, int y, int dir, const char *cls,
                  const char *marker) {
  int x1 = dir == SF_DIR_OUT ? X_STACK : X_PEER;
  int x2 = dir == SF_DIR_OUT ? X_PEER : X_STACK;
  fprintf(f,
          "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
          "marker-end=\"url(#%s)\"/>\n",
          cls, x1, y - 6, x2 + (dir == SF_DIR_OUT ? -2 : 2), y + 6, marker);
}

static void row_text(FILE *f, int x, int y, const char *cls, const char *anchor,
                     const char *text, size_t max) {
  fprintf(f, "<text x=\"%d\" y=\"%d\"%s%s%s text-anchor=\"%s\">", x, y,
          cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", anchor);
  esc(f, text, max);
  fputs("</text>\n", f);
}

int sf_ladder_write(const sf_ladder *l, FILE *f) {
  uint32_t out_isn = 0, in_isn = 0;
  bool have_out = false, have_in = false;
  for (size_t i = 0; i < l->n && !(have_out && have_in); i++) {
    if (!have_out)
      have_out = syn_of(&l->v[i], 1, &out_isn);
    if (!have_in)
      have_in = syn_of(&l->v[i], 0, &in_isn);
  }
  /* rows: every item, the expected packet after the failing one */
  size_t first_cut = l->n, last_cut = l->n;
  if (l->n > MAX_ROWS) {
    first_cut = MAX_ROWS / 4;
    last_cut = l->n - (MAX_ROWS - MAX_ROWS / 4);
  }
  size_t rows = l->n - (last_cut - first_cut) + (first_cut < last_cut) +
                (l->expected ? 1 : 0);
  int height = TOP + (int)rows * ROW + (l->failure ? 3 * ROW : ROW);
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
          WIDTH, height, WIDTH, height);
  fputs(style, f);
  fputs("<defs>\n", f);
  static const char *const marks[][2] = {
      {"ain", "#334e68"}, {"aout", "#0b6e4f"}, {"abad", "#c81e1e"}};
  for (size_t i = 0; i < 3; i++)
    fprintf(f,
            "<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\">"
            "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>\n",
            marks[i][0], marks[i][1]);
  fputs("</defs>\n", f);
  fprintf(f,
          "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
          "fill=\"#ffffff\"/>\n",
          WIDTH, height);
  row_text(f, X_TIME, 24, "title", "start", l->title, 120);
  row_text(f, X_TIME, TOP - 22, "head", "start", "time (s)", 40);
  row_text(f, X_STACK, TOP - 22, "head", "middle", "stack 192.168.0.1", 40);
  row_text(f, X_PEER, TOP - 22, "head", "middle", "peer 192.0.2.1", 40);
  int bottom = TOP + (int)rows * ROW;
  fprintf(f,
          "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
          "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
          X_STACK, TOP - 14, X_STACK, bottom, X_PEER, TOP - 14, X_PEER, bottom);
  int y = TOP;
  for (size_t i = 0; i < l->n; i++) {
    if (i == first_cut && first_cut < last_cut) {
      char gap[80];
      snprintf(gap, sizeof(gap), "(%zu rows not shown)", last_cut - first_cut);
      y += ROW;
      row_text(f, (X_STACK + X_PEER) / 2, y - 8, "note", "middle", gap, 80);
      i = last_cut - 1;
      continue;
    }
    const struct item *it = &l->v[i];
    y += ROW;
    char t[32];
    snprintf(t, sizeof(t), "%.6f", (double)it->t_us / 1e6);
    row_text(f, X_TIME, y - 4, "time", "start", t, 32);
    switch (it->kind) {
    case IT_PACKET: {
      char lab[1024];
      label(it, out_isn, in_isn, lab, sizeof(lab));
      arrow(f, y - 8, it->dir,
            it->failed     ? "bad"
            : it->dir == 1 ? "out"
                           : "in",
            it->failed     ? "abad"
            : it->dir == 1 ? "aout"
                           : "ain");
      row_text(f, (X_STACK + X_PEER) / 2, y - 17, it->failed ? "fail" : NULL,
               "middle", lab, LABEL_MAX);
      if (it->failed && l->expected) {
        y += ROW;
        arrow(f, y - 8, l->expected_dir, "exp", "abad");
        char e[600];
        snprintf(e, sizeof(e), "expected: %s", l->expected);
        row_text(f, (X_STACK + X_PEER) / 2, y - 17, "fail", "middle", e,
                 LABEL_MAX + 10);
      }
      break;
    }
    case IT_CALL:
      row_text(f, X_STACK - 10, y - 4, "call", "end", it->text, 36);
      break;
    case IT_STATE:
      /* beside the lifeline, where the labels of packets never reach */
      fprintf(f,
              "<rect x=\"%d\" y=\"%d\" width=\"120\" height=\"16\" rx=\"3\" "
              "fill=\"#ecfdf5\" stroke=\"#047857\"/>\n",
              X_STACK - 128, y - 16);
      row_text(f, X_STACK - 68, y - 4, "state", "middle", it->text, 18);
      break;
    case IT_NOTE:
      row_text(f, X_PEER + 12, y - 4, "note", "start", it->text, 48);
      break;
    }
  }
  bool marked = false;
  for (size_t i = 0; i < l->n; i++)
    marked |= l->v[i].kind == IT_PACKET && l->v[i].failed;
  if (l->expected && !marked) {
    /* nothing came, or the failure was not at a packet */
    y += ROW;
    arrow(f, y - 8, l->expected_dir, "exp", "abad");
    char e[600];
    snprintf(e, sizeof(e), "expected: %s", l->expected);
    row_text(f, (X_STACK + X_PEER) / 2, y - 17, "fail", "middle", e,
             LABEL_MAX + 10);
  }
  if (l->failure) {
    y += ROW + 10;
    row_text(f, X_TIME, y, "fail", "start", l->failure, 170);
  }
  fputs("</svg>\n", f);
  return ferror(f) ? -EIO : 0;
}

int sf_ladder_write_file(const sf_ladder *l, const char *path, char *err,
                         size_t errlen) {
  FILE *f = fopen(path, "w");
  if (!f) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -e;
  }
  int rc = sf_ladder_write(l, f);
  if (fclose(f) != 0 && rc == 0)
    rc = -errno;
  if (rc < 0)
    snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
  return rc;
}
