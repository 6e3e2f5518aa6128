// Exercise 05: the kernel that exercises your XenStore client (you need not change this file).
// All paths are relative: xenstored puts them under this domain's home, /local/domain/<domid>/.
// It watches data/xenlab/doorbell, copies data/xenlab/question to data/xenlab/answer, lists data/xenlab/items,
// records what reading two nodes it may not read gives, adds one to data/xenlab/counter in a transaction, waits
// for the doorbell's watch event and records the doorbell's value, then powers off.
import "minios/bootstrap";
import { printk } from "minios/console";
import { init_events } from "minios/events";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { strcmp, strlcat, strlcpy, strlen, u32_to_dec } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";
import { xs_directory, xs_increment, xs_init, xs_poll_watches, xs_read, xs_watch, xs_write } from "./xenstore";

const value = static_buffer<u8>(256);
const names = static_buffer<u8>(512);
const text = static_buffer<u8>(512);
let bells: u32 = 0;

/** The doorbell's watch callback: xenstored fires a new watch once, then on every change. */
function on_doorbell(path: Ptr<u8>, token: Ptr<u8>): void {
  printk("watch: %s (token %s)\n", path, token);
  if (strcmp(token, "bell") == 0) bells++;
}

/** What a read returned, as text: the value, or the error's name. */
function describe(rc: i32, out: Ptr<u8>): void {
  if (rc == -2) strlcpy(out, "ENOENT", 64);
  else if (rc == -13) strlcpy(out, "EACCES", 64);
  else if (rc < 0) {
    strlcpy(out, "error -", 64);
    u32_to_dec(u32(-rc), out.add(7));
  } else {
    strlcpy(out, "value ", 64);
    strlcat(out, value, 256);
  }
}

function report(what: CharPtr, rc: i32): void {
  if (rc < 0) printk("%s failed: %d\n", what, rc);
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  local_irq_enable();
  xs_init(si);
  printk("xenstore: client up\n");

  report("watch data/xenlab/doorbell", xs_watch("data/xenlab/doorbell", "bell", on_doorbell));

  let rc = xs_read(0, "data/xenlab/question", value, 256);
  report("read data/xenlab/question", rc);
  if (rc >= 0) {
    printk("question: %s\n", value);
    report("write data/xenlab/answer", xs_write(0, "data/xenlab/answer", value));
  }

  rc = xs_directory(0, "data/xenlab/items", names, 512);
  report("directory data/xenlab/items", rc);
  if (rc >= 0) {
    text[0] = 0;
    let at: u32 = 0;
    for (let i: i32 = 0; i < rc; i++) {
      if (i > 0) strlcat(text, ",", 512);
      strlcat(text, names.add(at), 512);
      at += strlen(names.add(at)) + 1;
    }
    printk("items: %d: %s\n", rc, text);
    u32_to_dec(u32(rc), value);
    report("write data/xenlab/item-count", xs_write(0, "data/xenlab/item-count", value));
    report("write data/xenlab/item-list", xs_write(0, "data/xenlab/item-list", text));
  }

  describe(xs_read(0, "data/xenlab/missing", value, 256), text);
  printk("missing: %s\n", text);
  report("write data/xenlab/missing-result", xs_write(0, "data/xenlab/missing-result", text));
  describe(xs_read(0, "data/xenlab/secret", value, 256), text);
  printk("secret: %s\n", text);
  report("write data/xenlab/secret-result", xs_write(0, "data/xenlab/secret-result", text));

  rc = xs_increment("data/xenlab/counter");
  report("increment data/xenlab/counter", rc);
  if (rc >= 0) printk("counter: %d\n", rc);

  // The doorbell rang while we were busy; its event is waiting for us (after the one a new watch fires at once).
  for (let tries: u32 = 0; tries < 4 && bells < 2; tries++) xs_poll_watches(true);
  rc = xs_read(0, "data/xenlab/doorbell", value, 256);
  report("read data/xenlab/doorbell", rc);
  if (rc >= 0) {
    printk("doorbell: %s\n", value);
    report("write data/xenlab/doorbell-heard", xs_write(0, "data/xenlab/doorbell-heard", value));
  }

  printk("xenstore: done\n");
  const s = stack_struct<sched_shutdown_t>();
  s.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}
