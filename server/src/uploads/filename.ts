/**
 * A file name as it may appear in a header: no controls (CR and LF above all), no path (`../`, `\`),
 * no quotes; the whole name goes in `filename*` (RFC 5987, UTF-8) and an ASCII fallback in
 * `filename`, so non-Latin names survive and nothing can break out of the header.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? ''
  const clean = base
    .replace(/[\u0000-\u001f\u007f-\u009f"*:<>?|]/g, '_')
    .replace(/^\.+/, '')
    .trim()
  return clean === '' ? 'file' : clean
}

/** `Content-Disposition` for a download (`attachment`) or an image shown in place (`inline`). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const safe = safeFileName(name)
  const fallback = safe
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/[\\%]/g, '_')
  const encoded = encodeURIComponent(safe).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}
