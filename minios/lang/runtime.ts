// Helpers the compiler calls for 64-bit operations the x86_32 has no single instruction for.
// Shifts take the value in EDX:EAX and the count in ECX; multiply/divide are cdecl helper(b_lo, b_hi, a_lo, a_hi) = a op b.
// A 64-bit division by zero divides by zero in 32 bits too, so it raises #DE as 32-bit division does.

const shifts = `
__shl64:
    and ecx, 63
    cmp ecx, 32
    jae .big
    shld edx, eax, cl
    shl eax, cl
    ret
.big:
    mov edx, eax
    xor eax, eax
    sub ecx, 32
    shl edx, cl
    ret
__shr64:
    and ecx, 63
    cmp ecx, 32
    jae .big
    shrd eax, edx, cl
    shr edx, cl
    ret
.big:
    mov eax, edx
    xor edx, edx
    sub ecx, 32
    shr eax, cl
    ret
__sar64:
    and ecx, 63
    cmp ecx, 32
    jae .big
    shrd eax, edx, cl
    sar edx, cl
    ret
.big:
    mov eax, edx
    sar edx, 31
    sub ecx, 32
    sar eax, cl
    ret
`;

const mul = `
__mul64:
    push ebx
    mov eax, [esp+16]
    mov ecx, [esp+20]
    imul ecx, [esp+8]
    mov ebx, [esp+12]
    imul ebx, eax
    add ecx, ebx
    mul dword [esp+8]
    add edx, ecx
    pop ebx
    ret
`;

/** Restoring division, one quotient bit per round; remainder in EDI:ESI. */
function unsigned(name: string, remainder: boolean): string {
  return `
${name}:
    push ebp
    mov ebp, esp
    push esi
    push edi
    mov ecx, [ebp+8]
    or ecx, [ebp+12]
    jnz .nonzero
    div ecx
.nonzero:
    mov eax, [ebp+16]
    mov edx, [ebp+20]
    xor esi, esi
    xor edi, edi
    mov ecx, 64
.round:
    shl eax, 1
    rcl edx, 1
    rcl esi, 1
    rcl edi, 1
    jc .subtract
    cmp edi, [ebp+12]
    jb .next
    ja .subtract
    cmp esi, [ebp+8]
    jb .next
.subtract:
    sub esi, [ebp+8]
    sbb edi, [ebp+12]
    or eax, 1
.next:
    dec ecx
    jnz .round
${remainder ? '    mov eax, esi\n    mov edx, edi\n' : ''}    pop edi
    pop esi
    pop ebp
    ret
`;
}

/** Signed via unsigned on magnitudes: the quotient's sign is sign(a) ^ sign(b), the remainder's is sign(a) (C truncation). */
function signed(name: string, core: string, remainder: boolean): string {
  return `
${name}:
    push ebp
    mov ebp, esp
    push ebx
    mov ebx, [ebp+20]
${remainder ? '' : '    xor ebx, [ebp+12]\n'}    mov eax, [ebp+16]
    mov edx, [ebp+20]
    test edx, edx
    jns .a_positive
    neg eax
    adc edx, 0
    neg edx
.a_positive:
    push edx
    push eax
    mov eax, [ebp+8]
    mov edx, [ebp+12]
    test edx, edx
    jns .b_positive
    neg eax
    adc edx, 0
    neg edx
.b_positive:
    push edx
    push eax
    call ${core}
    add esp, 16
    test ebx, ebx
    jns .done
    neg eax
    adc edx, 0
    neg edx
.done:
    pop ebx
    pop ebp
    ret
`;
}

const pieces: Record<string, { text: string; needs: string[] }> = {
  shifts: { text: shifts, needs: [] },
  __mul64: { text: mul, needs: [] },
  __udiv64: { text: unsigned('__udiv64', false), needs: [] },
  __umod64: { text: unsigned('__umod64', true), needs: [] },
  __sdiv64: { text: signed('__sdiv64', '__udiv64', false), needs: ['__udiv64'] },
  __smod64: { text: signed('__smod64', '__umod64', true), needs: ['__umod64'] },
};

/** nasm text for the helpers used (and those they call). */
export function runtimeText(used: Set<string>): string {
  const want = new Set<string>();
  const add = (n: string) => {
    const key = n === '__shl64' || n === '__shr64' || n === '__sar64' ? 'shifts' : n;
    if (want.has(key)) return;
    want.add(key);
    for (const d of pieces[key].needs) add(d);
  };
  for (const n of used) add(n);
  return [...want].map((k) => pieces[k].text).join('');
}
