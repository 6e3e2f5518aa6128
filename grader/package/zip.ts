// A small ZIP writer and a defensive reader (deflate or stored entries), enough for Gradescope packages and for
// class submissions handed in as zip files. Written on node:zlib; no ZIP64, no encryption.
import zlib from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, with forward slashes. */
  name: string;
  data: Uint8Array;
  /** Unix mode bits (0o644 when omitted; 0o755 for scripts). */
  mode?: number;
}

// Fixed timestamp (1980-01-01 00:00) so that the same files make the same archive.
const DOS_TIME = 0, DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const deflated = zlib.deflateRawSync(e.data, { level: 9 });
    const stored = deflated.length >= e.data.length;
    const body = stored ? Buffer.from(e.data) : deflated;
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode bits count
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | (e.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ReadLimits {
  maxEntries: number;
  maxTotalBytes: number;
}

/** Reads a zip archive's files. Rejects unsafe names (absolute, `..`), oversized contents and corrupt data. */
export function readZip(buf: Uint8Array, limits: ReadLimits = { maxEntries: 2000, maxTotalBytes: 64 << 20 }): ZipEntry[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) if (b.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new ZipError('not a zip file (no end-of-central-directory record)');
  const count = b.readUInt16LE(eocd + 10);
  if (count > limits.maxEntries) throw new ZipError(`the archive has ${count} entries; the limit is ${limits.maxEntries}`);
  let p = b.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  let total = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > b.length || b.readUInt32LE(p) !== 0x02014b50) throw new ZipError('corrupt central directory');
    const method = b.readUInt16LE(p + 10), crc = b.readUInt32LE(p + 16), csize = b.readUInt32LE(p + 20), usize = b.readUInt32LE(p + 24);
    const nlen = b.readUInt16LE(p + 28), xlen = b.readUInt16LE(p + 30), clen = b.readUInt16LE(p + 32);
    const attrs = b.readUInt32LE(p + 38), lho = b.readUInt32LE(p + 42);
    const name = b.subarray(p + 46, p + 46 + nlen).toString('utf8');
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue;
    if (name.startsWith('/') || name.includes('\\') || name.split('/').some((s) => s === '..' || s === '')) throw new ZipError(`unsafe path in archive: '${name}'`);
    const unixMode = attrs >>> 16;
    if ((unixMode & 0o170000) === 0o120000) throw new ZipError(`'${name}' is a symbolic link; links are not accepted`);
    total += usize;
    if (total > limits.maxTotalBytes) throw new ZipError(`the archive unpacks to more than ${limits.maxTotalBytes} bytes`);
    if (lho + 30 > b.length || b.readUInt32LE(lho) !== 0x04034b50) throw new ZipError(`corrupt entry '${name}'`);
    const start = lho + 30 + b.readUInt16LE(lho + 26) + b.readUInt16LE(lho + 28);
    const body = b.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) {
      try {
        data = zlib.inflateRawSync(body, { maxOutputLength: Math.max(1, usize) });
      } catch {
        throw new ZipError(`cannot inflate '${name}'`);
      }
    } else throw new ZipError(`'${name}' uses compression method ${method}; only stored and deflate are supported`);
    if (data.length !== usize || zlib.crc32(data) !== crc) throw new ZipError(`'${name}' is corrupt (size or CRC mismatch)`);
    out.push({ name, data, mode: unixMode & 0o777 });
  }
  return out;
}
