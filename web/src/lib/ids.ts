/** A random id for `clientMsgId` (hex; works outside secure contexts, unlike crypto.randomUUID). */
export function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')
}
