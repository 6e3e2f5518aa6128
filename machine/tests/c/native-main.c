#include <stdio.h>
#include <stdlib.h>
unsigned int workload(unsigned int rounds, unsigned int *out);
int main(int argc, char **argv) {
  unsigned int out[8] = {0};
  unsigned int rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
  unsigned int acc = workload(rounds, out);
  printf("%u", acc);
  for (int i = 0; i < 7; i++) printf(" %u", out[i]);
  printf("\n");
  return 0;
}
