/*
 * The reference TFLite Micro front end (the C sources of the pymicro-features sdist) on bare-metal Cortex-M33,
 * QEMU mps2-an505: one micro-wakeword frame counted between stapes_bench_start and stapes_bench_stop, on the same
 * input and in the same order as conformance/m33/src/bin/m33-micro.rs. Built and run by micro_m33.py with
 * arm-none-eabi-gcc -O2 -mcpu=cortex-m33; nothing here is the front end itself.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "tensorflow/lite/experimental/microfrontend/lib/frontend.h"
#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"

/* ---- start-up: vector table, .data/.bss, FPU, semihosting ---- */
extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);

static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* SYS_OPEN(":tt", write) then SYS_WRITE: QEMU sends this console handle to stdout. */
static void put(const char* s) {
  static int handle = -1;
  if (handle < 0) {
    const void* open_args[3] = {":tt", (const void*)4, (const void*)3};
    handle = semihost(0x01, open_args);
  }
  const void* write_args[3] = {(const void*)(intptr_t)handle, s, (const void*)strlen(s)};
  semihost(0x05, write_args);
}

static void put_u32(uint32_t v) {
  char b[12];
  int i = 11;
  b[i] = 0;
  do {
    b[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(b + i);
}

__attribute__((noreturn)) void Reset_Handler(void) {
  uint32_t *src = &_sidata, *dst = &_sdata;
  while (dst < &_edata) *dst++ = *src++;
  for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  /* CPACR: full access to CP10/CP11 (the FPU). */
  *(volatile uint32_t*)0xE000ED88 |= 0xFu << 20;
  __asm__ volatile("dsb; isb");
  main();
  semihost(0x18, (const void*)0x20026); /* SYS_EXIT, ADP_Stopped_ApplicationExit */
  for (;;) {}
}

static void Default_Handler(void) {
  put("fault\n");
  semihost(0x18, (const void*)0x20023); /* ADP_Stopped_RunTimeErrorUnknown */
  for (;;) {}
}

__attribute__((section(".vectors"), used)) const void* const vectors[16] = {
    &_estack, (const void*)Reset_Handler, (const void*)Default_Handler, (const void*)Default_Handler,
    (const void*)Default_Handler, (const void*)Default_Handler, (const void*)Default_Handler, 0, 0, 0, 0,
    (const void*)Default_Handler, (const void*)Default_Handler, 0, (const void*)Default_Handler,
    (const void*)Default_Handler};

/* The front end allocates only when its state is populated: a bump allocator is enough. */
static uint8_t heap[256 * 1024] __attribute__((aligned(8)));
static size_t heap_used;
void* malloc(size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (heap_used + n > sizeof heap) return NULL;
  void* p = heap + heap_used;
  heap_used += n;
  return p;
}
void* calloc(size_t a, size_t b) {
  void* p = malloc(a * b);
  if (p) memset(p, 0, a * b);
  return p;
}
void free(void* p) { (void)p; }

/* ---- the bench ---- */
__attribute__((noinline)) void stapes_bench_start(void) { __asm__ volatile("nop"); }
__attribute__((noinline)) void stapes_bench_stop(void) { __asm__ volatile("nop\n nop"); }

int main(void) {
  static int16_t x[800];
  uint32_t s = 12345;
  for (int i = 0; i < 800; ++i) {
    s = s * 1664525u + 1013904223u;
    x[i] = (int16_t)((int16_t)(s >> 16) >> 2);
  }
  /* pymicro-features' init_cfg (the micro-wakeword preset). */
  struct FrontendConfig c;
  FrontendFillConfigWithDefaults(&c);
  c.window.size_ms = 30;
  c.window.step_size_ms = 10;
  c.filterbank.num_channels = 40;
  c.filterbank.lower_band_limit = 125.0f;
  c.filterbank.upper_band_limit = 7500.0f;
  c.noise_reduction.smoothing_bits = 10;
  c.noise_reduction.even_smoothing = 0.025f;
  c.noise_reduction.odd_smoothing = 0.06f;
  c.noise_reduction.min_signal_remaining = 0.05f;
  c.pcan_gain_control.enable_pcan = 1;
  c.pcan_gain_control.strength = 0.95f;
  c.pcan_gain_control.offset = 80.0f;
  c.pcan_gain_control.gain_bits = 21;
  c.log_scale.enable_log = 1;
  c.log_scale.scale_shift = 6;
  static struct FrontendState st;
  if (!FrontendPopulateState(&c, &st, 16000)) {
    put("populate failed\n");
    return 1;
  }
  size_t read = 0;
  FrontendProcessSamples(&st, x, 160, &read);
  FrontendProcessSamples(&st, x + 160, 160, &read);

  stapes_bench_start();
  stapes_bench_stop();

  stapes_bench_start();
  struct FrontendOutput warm = FrontendProcessSamples(&st, x + 320, 160, &read);
  stapes_bench_stop();
  /* The output points into the state, which the next frame overwrites. */
  uint32_t warm0 = warm.size ? warm.values[0] : 0;

  stapes_bench_start();
  struct FrontendOutput o = FrontendProcessSamples(&st, x + 480, 160, &read);
  stapes_bench_stop();

  uint32_t sum = 0;
  for (size_t i = 0; i < o.size; ++i) sum += (uint32_t)(i + 1) * o.values[i];
  put("# reference C micro-wakeword frame: read ");
  put_u32((uint32_t)read);
  put(" warm Some(");
  put_u32(warm0);
  put(") checksum ");
  put_u32(sum);
  put("\n");
  return 0;
}
