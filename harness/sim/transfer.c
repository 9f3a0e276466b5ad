/* Bulk transfer both ways between two stacks, checked byte by byte. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "synfin/sim.h"

#define PORT 8080
#define CHUNK 16384

struct app {
  sf_stack *st;
  int fd;
  uint64_t written, read;
  bool shut, eof, closed;
};

void sf_transfer_config_default(sf_transfer_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  sf_link_config_default(&cfg->link);
  cfg->profile = SF_PROFILE_LINUX;
  cfg->bytes = 1 << 20;
  cfg->seed_a = 1;
  cfg->seed_b = 2;
  cfg->buf_capacity = 256 * 1024;
  cfg->time_limit_us = 3600ull * 1000000;
}

/* Byte `i` of the stream sent by `side`: not periodic in any short span, so
 * a lost, duplicated or misplaced chunk shows. */
static uint8_t pattern(int side, uint64_t i) {
  uint64_t x =
      i * 0x9e3779b97f4a7c15ULL + (uint64_t)side * 0x632be59bd9b4e019ULL;
  x ^= x >> 29;
  return (uint8_t)(x ^ (x >> 11) ^ (i >> 12));
}

static int fail(sf_transfer_result *res, const char *what, int side,
                long long v) {
  snprintf(res->error, sizeof(res->error), "%s (side %d, %lld)", what, side, v);
  return -EPROTO;
}

static int pump(const sf_transfer_config *cfg, struct app *app, int side,
                sf_transfer_result *res) {
  uint8_t buf[CHUNK];
  if (app->fd < 0 || app->closed)
    return 0;
  while (app->written < cfg->bytes) {
    uint64_t left = cfg->bytes - app->written;
    size_t n = left < CHUNK ? (size_t)left : CHUNK;
    for (size_t i = 0; i < n; i++)
      buf[i] = pattern(side, app->written + i);
    ssize_t w = sf_write(app->st, app->fd, buf, n);
    if (w == -EAGAIN)
      break;
    if (w < 0)
      return fail(res, "write failed", side, w);
    app->written += (uint64_t)w;
  }
  if (app->written == cfg->bytes && !app->shut) {
    int rc = sf_shutdown(app->st, app->fd, SHUT_WR);
    if (rc < 0)
      return fail(res, "shutdown failed", side, rc);
    app->shut = true;
  }
  while (!app->eof) {
    ssize_t r = sf_read(app->st, app->fd, buf, sizeof(buf));
    if (r == -EAGAIN)
      break;
    if (r < 0)
      return fail(res, "read failed", side, r);
    if (r == 0) {
      app->eof = true;
      break;
    }
    for (ssize_t i = 0; i < r; i++)
      if (buf[i] != pattern(1 - side, app->read + (uint64_t)i))
        return fail(res, "corrupt byte at offset", side,
                    (long long)(app->read + (uint64_t)i));
    app->read += (uint64_t)r;
    if (app->read > cfg->bytes)
      return fail(res, "more bytes than were sent", side, (long long)app->read);
  }
  if (app->eof && app->shut) {
    if (app->read != cfg->bytes)
      return fail(res, "stream ended short", side, (long long)app->read);
    int rc = sf_close(app->st, app->fd);
    if (rc < 0)
      return fail(res, "close failed", side, rc);
    app->closed = true;
  }
  return 0;
}

static int make_stack(const sf_transfer_config *cfg, uint32_t addr,
                      uint64_t seed, sf_stack **out) {
  sf_config sc;
  sf_config_default(&sc, cfg->profile);
  sc.addr.s_addr = htonl(addr);
  sc.seed = seed;
  sc.buf_capacity = cfg->buf_capacity;
  sc.max_sockets = 4;
  return sf_stack_new(&sc, out);
}

static void count_conn(void *ctx, int fd, const sf_tcp_info *info) {
  (void)fd;
  (void)info;
  (*(int *)ctx)++;
}

static bool connections_gone(sf_stack *st) {
  int n = 0;
  sf_stack_each_conn(st, count_conn, &n);
  return n == 0 && sf_stack_next_deadline(st) == SF_TIME_NEVER;
}

static int setup(const sf_transfer_config *cfg, struct app app[2], int *lfd) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  *lfd = sf_socket(app[0].st, AF_INET, SOCK_STREAM, 0);
  if (*lfd < 0)
    return *lfd;
  int rc = sf_bind(app[0].st, *lfd, (struct sockaddr *)&a, sizeof(a));
  if (rc == 0)
    rc = sf_listen(app[0].st, *lfd, 4);
  if (rc < 0)
    return rc;
  app[1].fd = sf_socket(app[1].st, AF_INET, SOCK_STREAM, 0);
  if (app[1].fd < 0)
    return app[1].fd;
  const sf_config *ca = sf_stack_config(app[0].st);
  a.sin_addr = ca->addr;
  rc = sf_connect(app[1].st, app[1].fd, (struct sockaddr *)&a, sizeof(a));
  (void)cfg;
  return rc == -EINPROGRESS ? 0 : rc;
}

int sf_transfer_run(const sf_transfer_config *cfg, sf_transfer_result *res) {
  memset(res, 0, sizeof(*res));
  struct app app[2] = {{.fd = -1}, {.fd = -1}};
  sf_link *link = NULL;
  int lfd = -1, rc;
  if ((rc = make_stack(cfg, 0xc0a80001, cfg->seed_a, &app[0].st)) < 0 ||
      (rc = make_stack(cfg, 0xc0000201, cfg->seed_b, &app[1].st)) < 0 ||
      (rc = sf_link_new(&cfg->link, app[0].st, app[1].st, &link)) < 0) {
    fail(res, "setup failed", -1, rc);
    goto out;
  }
  sf_link_set_observer(link, cfg->observer, cfg->observer_ctx);
  if ((rc = setup(cfg, app, &lfd)) < 0) {
    fail(res, "socket setup failed", -1, rc);
    goto out;
  }
  for (;;) {
    if (app[0].fd < 0) {
      int fd = sf_accept(app[0].st, lfd, NULL, NULL);
      if (fd >= 0) {
        app[0].fd = fd;
        sf_close(app[0].st, lfd);
        lfd = -1;
      }
    }
    for (int s = 0; s < 2; s++)
      if ((rc = pump(cfg, &app[s], s, res)) < 0)
        goto out;
    uint64_t next = sf_link_next_event(link);
    bool done = app[0].closed && app[1].closed;
    if (done && next == SF_TIME_NEVER)
      break;
    if (next == SF_TIME_NEVER || next > cfg->time_limit_us) {
      rc = fail(res, "stalled or over the time limit at", -1,
                (long long)sf_link_now(link));
      goto out;
    }
    if ((rc = sf_link_run_until(link, next)) < 0) {
      fail(res, "link failed", -1, rc);
      goto out;
    }
  }
  if (!connections_gone(app[0].st) || !connections_gone(app[1].st))
    rc = fail(res, "timers still running after close", -1, 0);
out:
  for (int s = 0; s < 2; s++) {
    res->written[s] = app[s].written;
    res->read[s] = app[s].read;
  }
  if (link) {
    res->virtual_us = sf_link_now(link);
    res->trace = *sf_link_trace(link);
    res->link = *sf_link_stats_get(link);
  }
  sf_link_free(link);
  sf_stack_free(app[0].st);
  sf_stack_free(app[1].st);
  return rc < 0 ? -EPROTO : 0;
}
