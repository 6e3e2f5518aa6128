// The blkif protocol for x86_32 guests (io/blkif.h, io/ring.h), checked by
// abi.test.ts against gcc -m32. Candidates to move to hypervisor/public.

export const BLKIF_OP_READ = 0;
export const BLKIF_OP_WRITE = 1;
export const BLKIF_OP_WRITE_BARRIER = 2;
export const BLKIF_OP_FLUSH_DISKCACHE = 3;
export const BLKIF_OP_DISCARD = 5;
export const BLKIF_OP_INDIRECT = 6;
export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;

export const BLKIF_RSP_OKAY = 0;
export const BLKIF_RSP_ERROR = -1;
export const BLKIF_RSP_EOPNOTSUPP = -2;

/** Sector unit of sector_number and first_sect/last_sect, whatever sector-size says. */
export const BLKIF_SECTOR = 512;

/** struct blkif_sring: producer/consumer indexes and event thresholds, then the entries. */
export const BLKIF_SRING = { req_prod: 0, req_event: 4, rsp_prod: 8, rsp_event: 12, ring: 64 } as const;
/** union blkif_sring_entry on x86_32 (request is the larger member). */
export const BLKIF_ENTRY_SIZE = 108;
/** __CONST_RING_SIZE(blkif, 4096): (4096 - 64) / 108 rounded down to a power of two. */
export const BLKIF_RING_SIZE = 32;

/** struct blkif_request (x86_32: u64 fields align to 4). */
export const BLKIF_REQ = { operation: 0, nr_segments: 1, handle: 2, id: 4, sector_number: 12, seg: 20, size: 108 } as const;
/** struct blkif_request_segment. */
export const BLKIF_SEG = { gref: 0, first_sect: 4, last_sect: 5, size: 8 } as const;
/** struct blkif_response. */
export const BLKIF_RSP = { id: 0, operation: 8, status: 10, size: 12 } as const;

/** enum xenbus_state (io/xenbus.h). */
export const XenbusState = {
  Unknown: 0, Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4, Closing: 5, Closed: 6, Reconfiguring: 7, Reconfigured: 8,
} as const;

/** VDISK_* bits of the backend's `info` node. */
export const VDISK_CDROM = 1;
export const VDISK_REMOVABLE = 2;
export const VDISK_READONLY = 4;

/** Virtual device number of xvdN (Linux major 202) and hdN (major 3): xvda = 51712, hda = 768. */
export function vdevOf(name: string): number | undefined {
  const xvd = /^xvd([a-z])$/.exec(name);
  if (xvd) return (202 << 8) | ((xvd[1].charCodeAt(0) - 97) << 4);
  const hd = /^hd([a-d])$/.exec(name);
  if (hd) { const i = hd[1].charCodeAt(0) - 97; return ((i < 2 ? 3 : 22) << 8) | ((i & 1) << 6); }
  if (/^\d+$/.test(name)) return Number(name);
  return undefined;
}
