/* `synfin run --html DIR`: a static report (HTML and CSS, no JavaScript):
 * index.html with the summary, one row per script (status, times,
 * requirement ids, links to its capture and ladder diagram) and the
 * failures with their diffs and diagrams; the captures and diagrams lie
 * beside it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "run_html.h"

static void esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      fputc(*s, f);
    }
  }
}

/* A file of the report as a link relative to index.html, if it exists. */
static const char *rel(const char *dir, const char *path) {
  struct stat st;
  if (!path || stat(path, &st) != 0)
    return NULL;
  size_t n = strlen(dir);
  if (strncmp(path, dir, n) == 0 && path[n] == '/')
    return path + n + 1;
  return path;
}

static const char *const css =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:24px;color:#1f2933;background:#f7f9fb}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    ".sub{color:#6b7785;margin-bottom:16px}\n"
    ".cards{display:flex;gap:12px;margin:12px 0 20px}\n"
    ".card{background:#fff;border:1px solid #d9e2ec;border-radius:8px;"
    "padding:10px 18px;min-width:110px}\n"
    ".card b{display:block;font-size:26px}\n"
    ".pass b{color:#0b6e4f}.fail b{color:#c81e1e}.skip b{color:#b7791f}"
    ".error b{color:#9b2c2c}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;"
    "border:1px solid #d9e2ec}\n"
    "th,td{text-align:left;padding:5px 10px;border-bottom:1px solid "
    "#e4e7eb;font-size:13px;vertical-align:top}\n"
    "th{background:#eef2f6}\n"
    "td.path{font-family:ui-monospace,Menlo,Consolas,monospace}\n"
    "td.num{white-space:nowrap}\n"
    ".st{font-weight:bold;border-radius:4px;padding:1px 7px;color:#fff}\n"
    ".st-pass{background:#0b6e4f}.st-fail{background:#c81e1e}"
    ".st-skip{background:#b7791f}.st-error{background:#9b2c2c}\n"
    ".reason{color:#52606d}\n"
    "pre{background:#fff;border:1px solid #d9e2ec;border-radius:6px;"
    "padding:10px;overflow-x:auto;font-size:12px}\n"
    "h2{font-size:17px;margin-top:28px}\n"
    "h3{font-size:14px;margin:18px 0 6px}\n"
    "img.ladder{max-width:100%;border:1px solid #d9e2ec;background:#fff}\n";

int sf_run_html_write(const char *dir, const struct item *items, size_t n,
                      const enum sf_sut_kind *suts, int nsut,
                      void (*svg_name)(const char *dir, const char *script,
                                       const char *sut, char *out, size_t cap),
                      char *err, size_t errlen) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/index.html", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -e;
  }
  size_t counts[4] = {0};
  uint64_t real = 0;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < nsut; k++) {
      counts[items[i].res[k].r.status & 3]++;
      real += items[i].res[k].r.real_us;
    }
  time_t now = time(NULL);
  char when[64];
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
  fprintf(f,
          "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
          "charset=\"utf-8\">\n<title>synfin run: %zu passed, %zu failed, "
          "%zu skipped</title>\n<style>\n%s</style>\n</head>\n<body>\n"
          "<h1>synfin run</h1>\n<div class=\"sub\">%zu scripts against %s, "
          "%s, %.1f s</div>\n",
          counts[SF_RESULT_PASS], counts[SF_RESULT_FAIL],
          counts[SF_RESULT_SKIP], css, n,
          nsut > 1                  ? "the stack and linux"
          : suts[0] == SF_SUT_LINUX ? "linux"
                                    : "the built-in stack",
          when, (double)real / 1e6);
  static const char *const cls[] = {"pass", "fail", "skip", "error"};
  static const char *const word[] = {"passed", "failed", "skipped", "errors"};
  fputs("<div class=\"cards\">\n", f);
  for (int s = 0; s < 4; s++)
    fprintf(f, "<div class=\"card %s\"><b>%zu</b>%s</div>\n", cls[s], counts[s],
            word[s]);
  fputs("</div>\n<table>\n<tr><th>status</th><th>script</th>", f);
  if (nsut > 1)
    fputs("<th>sut</th>", f);
  fputs("<th>time</th><th>virtual</th><th>requirements</th><th>files</th>"
        "</tr>\n",
        f);
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < nsut; k++) {
      const sf_script_result *r = &items[i].res[k].r;
      int st = r->status & 3;
      const char *sut = nsut > 1 ? sf_sut_name(suts[k]) : NULL;
      char svg[4096];
      svg_name(dir, items[i].path, sut, svg, sizeof(svg));
      const char *pcap = rel(dir, r->pcap_path), *lad = rel(dir, svg);
      fprintf(f,
              "<tr id=\"s%zu-%d\"><td><span class=\"st st-%s\">%s</span>"
              "</td><td class=\"path\">",
              i, k, cls[st], cls[st]);
      if (st != SF_RESULT_PASS)
        fprintf(f, "<a href=\"#f%zu-%d\">", i, k);
      esc(f, items[i].path);
      if (st != SF_RESULT_PASS)
        fputs("</a>", f);
      if (r->reason) {
        fputs("<div class=\"reason\">", f);
        esc(f, r->reason);
        fputs("</div>", f);
      }
      fputs("</td>", f);
      if (sut)
        fprintf(f, "<td>%s</td>", sut);
      fprintf(f,
              "<td class=\"num\">%.1f ms</td><td class=\"num\">%.3f s</td>"
              "<td>",
              (double)r->real_us / 1e3, (double)r->virtual_us / 1e6);
      esc(f, r->requirements ? r->requirements : "");
      fputs("</td><td class=\"num\">", f);
      if (pcap) {
        fputs("<a href=\"", f);
        esc(f, pcap);
        fputs("\">pcap</a> ", f);
      }
      if (lad) {
        fputs("<a href=\"", f);
        esc(f, lad);
        fputs("\">ladder</a>", f);
      }
      fputs("</td></tr>\n", f);
    }
  }
  fputs("</table>\n", f);
  bool any = counts[SF_RESULT_FAIL] || counts[SF_RESULT_ERROR];
  if (any)
    fputs("<h2>Failures</h2>\n", f);
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < nsut; k++) {
      const sf_script_result *r = &items[i].res[k].r;
      if (r->status != SF_RESULT_FAIL && r->status != SF_RESULT_ERROR)
        continue;
      const char *sut = nsut > 1 ? sf_sut_name(suts[k]) : NULL;
      fprintf(f, "<h3 id=\"f%zu-%d\">", i, k);
      esc(f, r->location ? r->location : items[i].path);
      if (sut)
        fprintf(f, " [%s]", sut);
      fputs(": ", f);
      esc(f, r->reason ? r->reason : "");
      fputs("</h3>\n", f);
      if (r->details) {
        fputs("<pre>", f);
        esc(f, r->details);
        fputs("</pre>\n", f);
      }
      char svg[4096];
      svg_name(dir, items[i].path, sut, svg, sizeof(svg));
      const char *lad = rel(dir, svg);
      if (lad) {
        fputs("<img class=\"ladder\" alt=\"ladder diagram\" src=\"", f);
        esc(f, lad);
        fputs("\">\n", f);
      }
    }
  }
  fputs("</body>\n</html>\n", f);
  int rc = ferror(f) ? -EIO : 0;
  if (fclose(f) != 0 && rc == 0)
    rc = -errno;
  if (rc < 0)
    snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
  return rc;
}
