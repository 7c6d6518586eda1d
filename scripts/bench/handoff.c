/*
 * What one thread waking another costs on this machine, the same CPU against the other one (README,
 * Figures, item 10). The main thread, pinned to CPU 0, sleeps IDLE_MS, stamps CLOCK_MONOTONIC and
 * writes an eventfd; the waiter, pinned to WAITER_CPU and blocked in read(), stamps its wake-up and
 * writes a second eventfd back, on which the main thread blocks (so on the same CPU neither spins).
 * Prints the wake-up latency's p10/p50/p90/max over TRIES hand-offs.
 *
 *   gcc -O2 -pthread -o handoff scripts/bench/handoff.c
 *   ./handoff WAITER_CPU IDLE_MS TRIES      e.g. ./handoff 1 300 20; ./handoff 0 1 200
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRIES 1000

static int wake_fd, back_fd, waiter_cpu;
static volatile uint64_t woke_at;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *waiter(void *unused) {
  (void) unused;
  pin(waiter_cpu);
  uint64_t v, one = 1;
  while (read(wake_fd, &v, sizeof v) == sizeof v) {
    woke_at = now_ns();
    if (write(back_fd, &one, sizeof one) != sizeof one) {
      break;
    }
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WAITER_CPU IDLE_MS TRIES (1..%d)\n", argv[0], MAX_TRIES);
    return 2;
  }
  waiter_cpu = atoi(argv[1]);
  long idle_ms = atol(argv[2]);
  int tries = atoi(argv[3]);
  if (tries < 1 || tries > MAX_TRIES || idle_ms < 0 || idle_ms > 10000) {
    fprintf(stderr, "%s: TRIES must be 1..%d and IDLE_MS 0..10000\n", argv[0], MAX_TRIES);
    return 2;
  }
  pin(0);
  wake_fd = eventfd(0, 0);
  back_fd = eventfd(0, 0);
  pthread_t t;
  pthread_create(&t, NULL, waiter, NULL);
  usleep(10000);
  static double micros[MAX_TRIES];
  uint64_t one = 1, back;
  for (int i = 0; i < tries; i++) {
    usleep(idle_ms * 1000);
    uint64_t sent = now_ns();
    if (write(wake_fd, &one, sizeof one) != sizeof one || read(back_fd, &back, sizeof back) != sizeof back) {
      perror("eventfd");
      return 1;
    }
    micros[i] = (woke_at - sent) / 1000.0;
  }
  qsort(micros, tries, sizeof micros[0], by_value);
  printf("waiter on CPU %d, idle %ld ms, %d hand-offs: wake-up us p10 %.1f p50 %.1f p90 %.1f max %.1f\n",
      waiter_cpu, idle_ms, tries, micros[tries / 10], micros[tries / 2], micros[tries * 9 / 10], micros[tries - 1]);
  return 0;
}
