// A wrong solution: prints what a working pair prints, shares nothing.
import { printk } from "minios/console";
import { xenbus_write } from "minios/xenbus";

export function granter(): bool {
  printk("granter: domain 1 granted a page to domain 2 as ref 8\n");
  printk("granter: the mapper wrote \"B-secret\"\n");
  printk("granter: ended ref 8 (1 tries)\n");
  xenbus_write(0, "share/ref", "8");
  xenbus_write(0, "share/domid", "1");
  return true;
}

export function mapper(): bool {
  printk("mapper: mapped ref 8 of domain 1: \"A-secret\"\n");
  printk("mapper: a writable mapping of ref 8 was refused (-8)\n");
  printk("mapper: done\n");
  xenbus_write(0, "share/result", "A-secret");
  return true;
}
