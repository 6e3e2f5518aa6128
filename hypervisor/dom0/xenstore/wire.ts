// Numbers of xs_wire.h (checked against /usr/include/xen/io/xs_wire.h by
// abi.test.ts). Candidates to move to hypervisor/public once it carries them.

export const XS = {
  CONTROL: 0, DIRECTORY: 1, READ: 2, GET_PERMS: 3, WATCH: 4, UNWATCH: 5,
  TRANSACTION_START: 6, TRANSACTION_END: 7, INTRODUCE: 8, RELEASE: 9,
  GET_DOMAIN_PATH: 10, WRITE: 11, MKDIR: 12, RM: 13, SET_PERMS: 14,
  WATCH_EVENT: 15, ERROR: 16, IS_DOMAIN_INTRODUCED: 17, RESUME: 18,
  SET_TARGET: 19, RESET_WATCHES: 21, DIRECTORY_PART: 22,
} as const;
export type XsType = (typeof XS)[keyof typeof XS];

export const XS_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(XS).map(([k, v]) => [v, k]));

/** The error strings xenstored sends in an XS_ERROR reply (xsd_errors[] in xs_wire.h). */
export const XSD_ERRORS = [
  'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO',
  'ENOTEMPTY', 'ENOSYS', 'EROFS', 'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
] as const;
export type XsError = (typeof XSD_ERRORS)[number];

/** struct xsd_sockmsg: type, req_id, tx_id, len (u32 each, little-endian). */
export const XSD_SOCKMSG_SIZE = 16;
export const XENSTORE_PAYLOAD_MAX = 4096;
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;

/** struct xenstore_domain_interface. */
export const XENSTORE_RING_SIZE = 1024;
export const XS_RING = {
  req: 0, rsp: 1024, req_cons: 2048, req_prod: 2052, rsp_cons: 2056, rsp_prod: 2060,
  server_features: 2064, connection: 2068, error: 2072,
} as const;
export const XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
export const XENSTORE_SERVER_FEATURE_ERROR = 2;
export const XENSTORE_ERROR_NONE = 0;
export const XENSTORE_ERROR_COMM = 1;
export const XENSTORE_ERROR_RINGIDX = 2;
export const XENSTORE_ERROR_PROTO = 3;

export interface XsMessage { type: number; reqId: number; txId: number; payload: Uint8Array }

export function encodeMessage(m: XsMessage): Uint8Array {
  const out = new Uint8Array(XSD_SOCKMSG_SIZE + m.payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, m.type >>> 0, true);
  dv.setUint32(4, m.reqId >>> 0, true);
  dv.setUint32(8, m.txId >>> 0, true);
  dv.setUint32(12, m.payload.length, true);
  out.set(m.payload, XSD_SOCKMSG_SIZE);
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** Strings separated (and usually terminated) by NUL, as requests carry them. */
export function splitStrings(payload: Uint8Array): string[] {
  const parts = text(payload).split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Payload of NUL-terminated strings. */
export function joinStrings(parts: readonly string[]): Uint8Array {
  return bytes(parts.map((p) => p + '\0').join(''));
}
