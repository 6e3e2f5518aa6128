/* A blkfront's side of the blkif ring written with Xen's own ring.h macros
 * (DEFINE_RING_TYPES, RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_GET_RESPONSE),
 * used as an outside oracle for blkback. The shared page is a 4096-byte file;
 * the front ring's private indexes persist in a second file between steps.
 *   blkfront_ring init PAGE STATE            SHARED_RING_INIT + FRONT_RING_INIT
 *   blkfront_ring req PAGE STATE OP ID SECTOR GREF:FIRST:LAST...   queue one request
 *   blkfront_ring push PAGE STATE            push, print "notify 0|1"
 *   blkfront_ring collect PAGE STATE         print "rsp ID OP STATUS" per response
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
/* ring.h expects the includer to supply memory barriers. */
#define mb() __sync_synchronize()
#define rmb() __sync_synchronize()
#define wmb() __sync_synchronize()
#define xen_mb() mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#include <xen/io/blkif.h>

static unsigned char page[4096];
static blkif_front_ring_t front;

static void load(const char *p, const char *s) {
  FILE *f = fopen(p, "rb"); if (!f || fread(page, 1, 4096, f) != 4096) { perror(p); exit(2); } fclose(f);
  f = fopen(s, "rb");
  if (f) { if (fread(&front.req_prod_pvt, 4, 1, f) != 1 || fread(&front.rsp_cons, 4, 1, f) != 1) exit(2); fclose(f); }
  front.sring = (blkif_sring_t *)page;
  front.nr_ents = __RING_SIZE(front.sring, 4096);
}
static void save(const char *p, const char *s) {
  FILE *f = fopen(p, "wb"); fwrite(page, 1, 4096, f); fclose(f);
  f = fopen(s, "wb"); fwrite(&front.req_prod_pvt, 4, 1, f); fwrite(&front.rsp_cons, 4, 1, f); fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *cmd = argv[1], *p = argv[2], *s = argv[3];
  if (!strcmp(cmd, "init")) {
    memset(page, 0, sizeof page);
    blkif_sring_t *sring = (blkif_sring_t *)page;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, 4096);
    printf("entries %u\n", front.nr_ents);
    save(p, s);
    return 0;
  }
  load(p, s);
  if (!strcmp(cmd, "req")) {
    blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
    req->operation = (uint8_t)atoi(argv[4]);
    req->id = strtoull(argv[5], 0, 0);
    req->sector_number = strtoull(argv[6], 0, 0);
    req->handle = 0;
    req->nr_segments = 0;
    for (int i = 7; i < argc; i++) {
      unsigned g, fs, ls;
      if (sscanf(argv[i], "%u:%u:%u", &g, &fs, &ls) != 3) return 2;
      req->seg[req->nr_segments].gref = g;
      req->seg[req->nr_segments].first_sect = (uint8_t)fs;
      req->seg[req->nr_segments].last_sect = (uint8_t)ls;
      req->nr_segments++;
    }
    front.req_prod_pvt++;
  } else if (!strcmp(cmd, "push")) {
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
    printf("notify %d\n", notify);
  } else if (!strcmp(cmd, "collect")) {
    int more;
    do {
      while (RING_HAS_UNCONSUMED_RESPONSES(&front)) {
        blkif_response_t *r = RING_GET_RESPONSE(&front, front.rsp_cons);
        printf("rsp %llu %u %d\n", (unsigned long long)r->id, r->operation, r->status);
        front.rsp_cons++;
      }
      RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
    } while (more);
  } else return 2;
  save(p, s);
  return 0;
}
