/* A guest's xenstore ring client written against xs_wire.h, in the manner of
 * Mini-OS's xenbus.c (MASK_XENSTORE_IDX, free-running indexes), as an outside
 * oracle for our ring transport. The page is a 4096-byte file.
 *   xs_ring_client init PAGE START           all four indexes = START
 *   xs_ring_client send PAGE TYPE REQID ARG...   one request, args NUL-joined (a WRITE's last arg unterminated)
 *   xs_ring_client recv PAGE                 print "msg TYPE REQID LEN <payload with NUL as |>" per complete reply
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

static unsigned char page[4096];
static struct xenstore_domain_interface *intf = (void *)page;

static void load(const char *p) { FILE *f = fopen(p, "rb"); if (!f || fread(page, 1, 4096, f) != 4096) exit(2); fclose(f); }
static void save(const char *p) { FILE *f = fopen(p, "wb"); fwrite(page, 1, 4096, f); fclose(f); }

static void put(const void *data, unsigned len) {
  const char *d = data;
  for (unsigned i = 0; i < len; i++) intf->req[MASK_XENSTORE_IDX(intf->req_prod + i)] = d[i];
  intf->req_prod += len;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "init")) {
    memset(page, 0, sizeof page);
    uint32_t start = (uint32_t)strtoul(argv[3], 0, 0);
    intf->req_cons = intf->req_prod = intf->rsp_cons = intf->rsp_prod = start;
    save(argv[2]);
    return 0;
  }
  load(argv[2]);
  if (!strcmp(argv[1], "send")) {
    struct xsd_sockmsg m = { .type = atoi(argv[3]), .req_id = atoi(argv[4]), .tx_id = 0, .len = 0 };
    int write = m.type == XS_WRITE;
    for (int i = 5; i < argc; i++) m.len += strlen(argv[i]) + (write && i == argc - 1 ? 0 : 1);
    if (XENSTORE_RING_SIZE - (intf->req_prod - intf->req_cons) < sizeof m + m.len) return 3;
    put(&m, sizeof m);
    for (int i = 5; i < argc; i++) put(argv[i], strlen(argv[i]) + (write && i == argc - 1 ? 0 : 1));
  } else if (!strcmp(argv[1], "recv")) {
    while (intf->rsp_prod - intf->rsp_cons >= sizeof(struct xsd_sockmsg)) {
      struct xsd_sockmsg m;
      for (unsigned i = 0; i < sizeof m; i++) ((char *)&m)[i] = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons + i)];
      if (intf->rsp_prod - intf->rsp_cons < sizeof m + m.len) break;
      printf("msg %u %u %u ", m.type, m.req_id, m.len);
      for (unsigned i = 0; i < m.len; i++) {
        char c = intf->rsp[MASK_XENSTORE_IDX(intf->rsp_cons + sizeof m + i)];
        putchar(c ? c : '|');
      }
      putchar('\n');
      intf->rsp_cons += sizeof m + m.len;
    }
  } else return 2;
  save(argv[2]);
  return 0;
}
