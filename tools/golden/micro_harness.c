/* Runs the TFLite Micro front end (the C sources of the pymicro-features sdist) with every parameter set from the
 * command line, on int16 PCM read from a file, and writes the uint16 features of every frame to stdout.
 * Built and run by make_micro_golden.py; it feeds the samples in `chunk`-sample calls, as a streaming caller would.
 *
 * usage: micro_harness PCM_FILE SAMPLE_RATE CHUNK window_ms step_ms channels lower upper smoothing_bits even odd
 *        min_signal enable_pcan strength offset gain_bits enable_log scale_shift
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "tensorflow/lite/experimental/microfrontend/lib/frontend.h"
#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"

int main(int argc, char** argv) {
  if (argc != 19) {
    fprintf(stderr, "expected 18 arguments, got %d\n", argc - 1);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  size_t n = (size_t)bytes / 2;
  int16_t* pcm = (int16_t*)malloc(n * 2 + 2);
  if (fread(pcm, 2, n, f) != n) return 2;
  fclose(f);
  int sample_rate = atoi(argv[2]);
  size_t chunk = (size_t)atoi(argv[3]);

  struct FrontendConfig c;
  FrontendFillConfigWithDefaults(&c);
  c.window.size_ms = atoi(argv[4]);
  c.window.step_size_ms = atoi(argv[5]);
  c.filterbank.num_channels = atoi(argv[6]);
  c.filterbank.lower_band_limit = strtof(argv[7], NULL);
  c.filterbank.upper_band_limit = strtof(argv[8], NULL);
  c.noise_reduction.smoothing_bits = atoi(argv[9]);
  c.noise_reduction.even_smoothing = strtof(argv[10], NULL);
  c.noise_reduction.odd_smoothing = strtof(argv[11], NULL);
  c.noise_reduction.min_signal_remaining = strtof(argv[12], NULL);
  c.pcan_gain_control.enable_pcan = atoi(argv[13]);
  c.pcan_gain_control.strength = strtof(argv[14], NULL);
  c.pcan_gain_control.offset = strtof(argv[15], NULL);
  c.pcan_gain_control.gain_bits = atoi(argv[16]);
  c.log_scale.enable_log = atoi(argv[17]);
  c.log_scale.scale_shift = atoi(argv[18]);

  struct FrontendState s;
  if (!FrontendPopulateState(&c, &s, sample_rate)) return 3;
  size_t pos = 0;
  while (pos < n) {
    size_t len = n - pos < chunk ? n - pos : chunk;
    size_t read = 0;
    struct FrontendOutput o = FrontendProcessSamples(&s, pcm + pos, len, &read);
    pos += read;
    if (o.values != NULL) fwrite(o.values, 2, o.size, stdout);
  }
  FrontendFreeStateContents(&s);
  free(pcm);
  return 0;
}
