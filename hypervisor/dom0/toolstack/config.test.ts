import { describe, expect, it } from 'vitest';
import { ConfigError, parseDomainConfig, parseDiskSpec } from './config.js';
import { parseScenario } from './scenario.js';

const good = `# a guest
name = "guest"
kernel = "build/kernel.elf"
memory = 32
cmdline = "console=hvc0 quiet"
disk = [ 'file:/tmp/disk.img,xvda,w',
         'format=raw, vdev=xvdb, access=ro, target=/tmp/b.img' ]
on_crash = "destroy"
`;

function problem(text: string, file = 'vm.cfg'): string {
  try {
    parseDomainConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('xl config files', () => {
  it('parses the xl settings xenlab uses', () => {
    const c = parseDomainConfig(good, 'vm.cfg');
    expect(c).toMatchObject({
      name: 'guest', kernel: 'build/kernel.elf', memory: 32, cmdline: 'console=hvc0 quiet', onCrash: 'destroy', vcpus: 1,
      disks: [
        { target: '/tmp/disk.img', vdev: 'xvda', mode: 'w', format: 'raw' },
        { target: '/tmp/b.img', vdev: 'xvdb', mode: 'r', format: 'raw' },
      ],
    });
  });

  it('names file, line and the problem, with a suggestion for typos', () => {
    expect(problem('name = "a"\nkernal = "k"\nmemory = 4\n')).toBe("vm.cfg:2: unknown setting 'kernal'; did you mean 'kernel'?");
    expect(problem('name = "a"\nkernel = "k"\nmemroy = 4\n')).toBe("vm.cfg:3: unknown setting 'memroy'; did you mean 'memory'?");
    expect(problem('name = "a"\nkernel = "k"\nmemory = "lots"\n')).toBe('vm.cfg:3: memory: expected a whole number of MiB, e.g. memory = 32 (got "lots")');
    expect(problem('name = "a"\nkernel = "k"\nmemory = 12.5\n')).toBe('vm.cfg:3: memory: expected a whole number of MiB, e.g. memory = 32 (got 12.5)');
    expect(problem('name = "a"\nkernel = "k"\nmemory = [ 8 ]\n')).toBe('vm.cfg:3: memory: expected a whole number of MiB, e.g. memory = 32 (got [8])');
    expect(problem('name = "a"\nkernel = "k"\nmemory = 8\ncmdline = 5\n')).toBe('vm.cfg:4: cmdline: expected a "quoted string", e.g. cmdline = "console=hvc0" (got 5)');
    expect(problem('name = "a"\nkernel = "k"\nmemory = 8\ndisk = [ 3 ]\n')).toBe(
      "vm.cfg:4: disk: expected a \"quoted string\" (item 1), e.g. disk = [ 'file:disk.img,xvda,w' ] (got [3])");
    expect(parseDomainConfig('name = "a"\nkernel = "k"\nmemory = "32"\n').memory).toBe(32); // xl reads numbers with strtol
    expect(problem('name = "a"\nkernel = "k"\nmemory = 0\n')).toBe('vm.cfg:3: memory: at least 1 (MiB) (got 0)');
    expect(problem('name = "a"\nkernel = "k"\n')).toMatch(/^vm\.cfg:2: missing required setting 'memory'/);
    expect(problem('name = "a\nkernel = "k"\n')).toBe('vm.cfg:1: string opened with " is not closed on this line');
    expect(problem('name = "a"\n\n  disk = [ "x,xvda,w"\n')).toBe('vm.cfg:3: list opened with [ is not closed');
    expect(problem('name "a"\n')).toBe("vm.cfg:1: expected = after 'name', found '\"'");
    expect(problem('name = "a" junk\n')).toBe("vm.cfg:1: unexpected 'j' after the value of 'name'");
    expect(problem('name = "a"\nname = "b"\n')).toBe("vm.cfg:2: 'name' is set twice (first on line 1)");
    expect(problem('name = "a"\nkernel = "k"\nmemory = 8\non_crash = "explode"\n')).toBe(
      'vm.cfg:4: on_crash: one of "destroy", "restart", "preserve", "coredump-destroy", "coredump-restart" (got "explode")');
    expect(problem('name = "a"\nkernel = "k"\nmemory = 8\ndisk = [ "img,sda,w" ]\n')).toMatch(/^vm\.cfg:4: disk 'img,sda,w': virtual device 'sda'/);
    expect(problem('name = "a"\nkernel = "k"\nmemory = 8\nzzzzzzzz = 1\n')).toMatch(/unknown setting 'zzzzzzzz' \(known: name, kernel/);
  });

  it('reads disk specs in positional and key=value forms', () => {
    expect(parseDiskSpec('phy:/dev/x,hda,r', 'f', 1)).toEqual({ target: '/dev/x', vdev: 'hda', mode: 'r', format: 'raw' });
    expect(parseDiskSpec('img.raw,xvdc', 'f', 1)).toMatchObject({ target: 'img.raw', vdev: 'xvdc', mode: 'w' });
    expect(() => parseDiskSpec('format=qcow2,vdev=xvda,target=x', 'f', 9)).toThrow('f:9: disk');
  });
});

describe('scenario files', () => {
  it('starts several domains, named by their sections, with real line numbers in errors', () => {
    const sc = parseScenario('# share a page\n[granter]\nkernel = "g.elf"\nmemory = 16\n\n[mapper]\nkernel = "m.elf"\nmemory = 16\ncmdline = "ref=8"\n', 'grant.scn');
    expect(sc.domains.map((d) => [d.name, d.kernel, d.cmdline])).toEqual([['granter', 'g.elf', ''], ['mapper', 'm.elf', 'ref=8']]);
    expect(() => parseScenario('[a]\nkernel = "k"\nmemory = 1\n[b]\nkernel = "k"\nmemroy = 1\n', 's')).toThrow("s:6: unknown setting 'memroy'; did you mean 'memory'?");
    expect(() => parseScenario('kernel = "k"\n', 's')).toThrow('s:1: settings must follow a [domain-name] section header');
    expect(() => parseScenario('[a]\nkernel = "k"\nmemory = 1\n[a]\nkernel = "k"\nmemory = 1\n', 's')).toThrow("s:4: domain name 'a' is used twice");
  });
});
