// Exercise 05, a typical wrong solution (uses-library): hands every call to Mini-OS's xenbus, the answer key.
import { init_xenbus, xenbus_ls, xenbus_poll_watches, xenbus_read, xenbus_transaction_end, xenbus_transaction_start, xenbus_watch_path_token, xenbus_write } from "minios/xenbus";
import { u32_to_dec } from "minios/string";
import { init_time } from "minios/time";
import { type start_info_t } from "xen/public";

export type xs_watch_cb = (path: Ptr<u8>, token: Ptr<u8>) => void;

export function xs_init(si: Ptr<start_info_t>): void {
  init_time();
  init_xenbus(si);
}

export function xs_read(tx: u32, path: CharPtr, value: Ptr<u8>, size: u32): i32 {
  return xenbus_read(tx, path, value, size);
}

export function xs_write(tx: u32, path: CharPtr, value: CharPtr): i32 {
  return xenbus_write(tx, path, value);
}

export function xs_directory(tx: u32, path: CharPtr, names: Ptr<u8>, size: u32): i32 {
  return xenbus_ls(tx, path, names, size);
}

export function xs_watch(path: CharPtr, token: CharPtr, cb: xs_watch_cb): i32 {
  return xenbus_watch_path_token(path, token, cb);
}

export function xs_poll_watches(wait: bool): u32 {
  return xenbus_poll_watches();
}

export function xs_increment(path: CharPtr): i32 {
  const value = stack_buffer<u8>(16);
  const tx = stack_buffer<u32>(1);
  const retry = stack_buffer<u32>(1);
  while (true) {
    const rc = xenbus_transaction_start(tx);
    if (rc < 0) return rc;
    const n = xenbus_read(tx[0], path, value, 16);
    if (n < 0) return n;
    let v: u32 = 0;
    for (let i: u32 = 0; value[i] >= char('0') && value[i] <= char('9'); i++) v = v * 10 + u32(value[i] - char('0'));
    v++;
    u32_to_dec(v, value);
    xenbus_write(tx[0], path, value);
    const end = xenbus_transaction_end(tx[0], false, retry);
    if (end < 0) return end;
    if (retry[0] == 0) return i32(v);
  }
}
