import { CONTENT_MAX } from '@contract/limits'

/** From this share of the limit on, the composer shows how much room is left. */
export const COUNTER_FROM = 0.8

/** The length the server checks: code points of the trimmed text (an emoji counts once). */
export function contentLength(text: string): number {
  return [...text.trim()].length
}

export const fitsLimit = (length: number) => length <= CONTENT_MAX
