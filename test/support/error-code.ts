// What a call throws, as 'ErrorClassName:code' ('none' if it returns): one string to compare.
export function thrownCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as Error).name}:${(e as { code?: string }).code}`;
  }
  return 'none';
}
