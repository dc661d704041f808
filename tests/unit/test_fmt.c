#include <string.h>
#include <time.h>

#include "fmt.h"
#include "mem.h"
#include "unit.h"

TEST(size_decimal) {
  static const struct {
    double in;
    const char *want;
  } t[] = {
      {0, "0B"},
      {1, "1B"},
      {999, "999B"},
      {1000, "1kB"},
      {1024, "1.02kB"},
      {1840, "1.84kB"},
      {1000000, "1MB"},
      {1048576, "1.05MB"},
      {108000000, "108MB"},
      {108400000, "108MB"},
      {3.42e9, "3.42GB"},
      {5.372e12, "5.37TB"},
      {2.22e15, "2.22PB"},
      {999999, "1e+03kB"}, /* go-units' own rounding quirk, kept */
      {1e28, "1e+04YB"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *s = fmt_size(t[i].in);
    CHECK_STR(s, t[i].want);
  }
}

TEST(size_binary) {
  static const struct {
    double in;
    const char *want;
  } t[] = {
      {0, "0B"},
      {1023, "1023B"},
      {1024, "1KiB"},
      {1536, "1.5KiB"},
      {1048576, "1MiB"},
      {2 * 1048576.0, "2MiB"},
      {3.42 * 1073741824.0, "3.42GiB"},
      {5.372 * 1099511627776.0, "5.372TiB"},
      {2.22 * 1125899906842624.0, "2.22PiB"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *s = fmt_bytes_binary(t[i].in);
    CHECK_STR(s, t[i].want);
  }
}

TEST(parse_size) {
  static const struct {
    const char *in;
    int64_t want;
  } ok[] = {
      {"512", 512},      {"32b", 32},          {"64m", 64 << 20},   {"64M", 64 << 20},
      {"1g", 1LL << 30}, {"1.5GB", 3LL << 29}, {"32Kib", 32 << 10}, {"32KIB", 32 << 10},
      {"2t", 2LL << 40}, {"1p", 1LL << 50},
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    struct err *e = NULL;
    int64_t v = -1;
    CHECK(parse_size(ok[i].in, &v, &e) == 0);
    CHECK(v == ok[i].want);
    err_free(&e);
  }
  static const char *const bad[] = {"", "12XB", "-1", "hello", " 32", "32bm", "1e30g"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct err *e = NULL;
    int64_t v = -1;
    CHECK(parse_size(bad[i], &v, &e) == -1);
    CHECK(e != NULL && e->code == ERR_USAGE && strstr(e->msg, "invalid size") != NULL);
    err_free(&e);
  }
}

TEST(duration) {
  const double min = 60, hour = 3600, day = 24 * hour, week = 7 * day, month = 30 * day,
               year = 365 * day;
  static const char *const less = "Less than a second";
  const struct {
    double in;
    const char *want;
  } t[] = {
      {-5, less},
      {0, less},
      {0.45, less},
      {1, "1 second"},
      {45, "45 seconds"},
      {59, "59 seconds"},
      {60, "About a minute"},
      {119, "About a minute"},
      {3 * min, "3 minutes"},
      {35 * min + 40, "35 minutes"},
      {59 * min, "59 minutes"},
      {hour, "About an hour"},
      {hour + 29 * min, "About an hour"},
      {hour + 31 * min, "2 hours"},
      {3 * hour + 29 * min, "3 hours"},
      {3 * hour + 31 * min, "4 hours"},
      {24 * hour, "24 hours"},
      {day + 12 * hour, "36 hours"},
      {2 * day, "2 days"},
      {7 * day, "7 days"},
      {13 * day + 5 * hour, "13 days"},
      {2 * week, "2 weeks"},
      {2 * week + 4 * day, "2 weeks"},
      {4 * week + 3 * day, "4 weeks"},
      {month, "4 weeks"},
      {month + 2 * week, "6 weeks"},
      {2 * month, "2 months"},
      {3 * month + week, "3 months"},
      {13 * month, "13 months"},
      {24 * month, "24 months"},
      {24 * month + 2 * week, "2 years"},
      {3 * year + 2 * month, "3 years"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *s = fmt_duration(t[i].in);
    CHECK_STR(s, t[i].want);
  }
}

TEST(ago) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec t = now;
  t.tv_sec -= 2 * 3600 + 5;
  cleanup_free char *a = fmt_ago(&t);
  CHECK_STR(a, "2 hours ago");
  cleanup_free char *b = fmt_ago(&now);
  CHECK_STR(b, "Less than a second ago");
}

TEST(rfc3339_format) {
  static const struct {
    struct timespec ts;
    const char *want;
  } t[] = {
      {{0, 0}, "1970-01-01T00:00:00Z"},
      {{1700000000, 0}, "2023-11-14T22:13:20Z"},
      {{1700000000, 123456789}, "2023-11-14T22:13:20.123456789Z"},
      {{1700000000, 120000000}, "2023-11-14T22:13:20.12Z"},
      {{1700000000, 1000}, "2023-11-14T22:13:20.000001Z"},
      {{951782400, 1}, "2000-02-29T00:00:00.000000001Z"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *s = fmt_rfc3339nano(&t[i].ts);
    CHECK_STR(s, t[i].want);
  }
  cleanup_free char *now = fmt_now();
  CHECK(strlen(now) >= 20 && now[strlen(now) - 1] == 'Z' && now[10] == 'T');
}

TEST(rfc3339_parse) {
  static const struct {
    const char *in;
    long long sec;
    long nsec;
  } ok[] = {
      {"2023-11-14T22:13:20Z", 1700000000, 0},
      {"2023-11-14T22:13:20.123456789Z", 1700000000, 123456789},
      {"2023-11-14T22:13:20.5Z", 1700000000, 500000000},
      {"2023-11-14T23:13:20+01:00", 1700000000, 0},
      {"2023-11-14T17:13:20.25-05:00", 1700000000, 250000000},
      {"2023-11-14T22:13:20.1234567891234Z", 1700000000, 123456789},
      {"2024-02-29T00:00:00Z", 1709164800, 0},
      {"1970-01-01T00:00:00Z", 0, 0},
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    struct err *e = NULL;
    struct timespec ts = {-1, -1};
    CHECK(parse_rfc3339(ok[i].in, &ts, &e) == 0);
    CHECK(ts.tv_sec == ok[i].sec && ts.tv_nsec == ok[i].nsec);
    if (e)
      fprintf(stderr, "  %s\n", e->msg);
    err_free(&e);
  }
  static const char *const bad[] = {
      "",
      "2023-11-14",
      "2023-11-14 22:13:20Z",
      "2023-11-14T22:13:20",
      "2023-11-14T22:13:20.Z",
      "2023-11-14T22:13:20Zjunk",
      "2023-13-01T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2023-11-14T24:00:00Z",
      "2023-11-14T22:13:60Z",
      "2023-11-14T22:13:20+0100",
      "2023-11-14T22:13:20+25:00",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct err *e = NULL;
    struct timespec ts;
    CHECK(parse_rfc3339(bad[i], &ts, &e) == -1);
    CHECK(e != NULL && e->code == ERR_USAGE && strstr(e->msg, bad[i]) != NULL);
    err_free(&e);
  }
}

TEST(rfc3339_round_trip) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  cleanup_free char *s = fmt_rfc3339nano(&now);
  struct timespec back;
  struct err *e = NULL;
  CHECK(parse_rfc3339(s, &back, &e) == 0);
  CHECK(back.tv_sec == now.tv_sec && back.tv_nsec == now.tv_nsec);
  err_free(&e);
}

TEST(random_ids) {
  char a[65], b[65];
  random_id(a);
  random_id(b);
  CHECK(strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64);
  CHECK(strcmp(a, b) != 0);
}

int main(void) {
  RUN(size_decimal);
  RUN(size_binary);
  RUN(parse_size);
  RUN(duration);
  RUN(ago);
  RUN(rfc3339_format);
  RUN(rfc3339_parse);
  RUN(rfc3339_round_trip);
  RUN(random_ids);
  return UNIT_DONE();
}
