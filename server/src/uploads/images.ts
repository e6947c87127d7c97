import { readdirSync, readFileSync } from 'node:fs'
import { setPriority } from 'node:os'
import sharp, { type Metadata } from 'sharp'
import { AppError } from '../lib/app-error'

/** The longest side of a thumbnail in the timeline; the dialog shows the full image. */
export const THUMB_SIZE = 360
/** Profile pictures are square, this many pixels a side. */
export const AVATAR_SIZE = 256

/** An image as Parlor keeps it: re-encoded upright without metadata, plus a thumbnail. */
export type ProcessedImage = {
  image: Buffer
  contentType: string
  width: number
  height: number
  thumb: Buffer
}

export type Images = ReturnType<typeof createImages>

/** The nice value of libvips' worker threads: below the event loop, so the chat is scheduled first. */
const IMAGE_NICE = 10
const reniced = new Set<number>()

/**
 * Lowers the scheduling priority of libvips' worker threads (Linux: a thread is a task of
 * /proc/self/task, and setpriority accepts its id). The pixels are decoded and encoded there; the
 * event loop, PostgreSQL and Redis keep their priority, so under CPU pressure chat frames go first and
 * a thumbnail waits. Best effort: elsewhere, or if /proc is not readable, nothing changes.
 */
function deprioritizeImageThreads(): void {
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return
  }
  for (const task of tasks) {
    const tid = Number(task)
    if (reniced.has(tid)) continue
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').startsWith('libvips')) {
        setPriority(tid, IMAGE_NICE)
        reniced.add(tid)
      }
    } catch {
      // the thread ended meanwhile, or this system has no such files
    }
  }
}

/**
 * Decodes images with sharp (libvips, on the libuv thread pool, not the event loop), at most
 * `concurrency` at once per instance: the rest wait in line, so a burst of uploads cannot take every
 * core from message delivery. The header is read first and an image over `maxPixels` is refused
 * before any pixel is decoded (a 600 kB PNG can claim 20 000 × 20 000); sharp's own
 * `limitInputPixels` backs that up; `cpuShare` caps the CPU the slots may use. Every image is re-encoded: EXIF orientation applied, metadata
 * (GPS above all) dropped, and whatever else the file was (a GIF that is also a script) gone.
 */
export function createImages({
  maxPixels,
  concurrency,
  cpuShare = 1,
}: {
  maxPixels: number
  concurrency: number
  /**
   * The most of a core each decode slot may keep busy: after a decode that took t, its slot rests
   * t × (1 − share) / share before the next one, so images cannot take more than this share of the
   * CPU however many are queued (the chat's latency is what that protects; a thumbnail waits instead).
   */
  cpuShare?: number
}) {
  // One libvips thread per image (the gate bounds how many images), and no operation cache: memory
  // stays proportional to the images in flight.
  sharp.concurrency(1)
  sharp.cache(false)
  let running = 0
  const waiting: (() => void)[] = []

  async function gated<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) await new Promise<void>((go) => waiting.push(go))
    running++
    const started = performance.now()
    try {
      return await work()
    } finally {
      deprioritizeImageThreads()
      const rest = cpuShare >= 1 ? 0 : ((performance.now() - started) * (1 - cpuShare)) / cpuShare
      const release = () => {
        running--
        waiting.shift()?.()
      }
      if (rest > 0) setTimeout(release, rest).unref()
      else release()
    }
  }

  const open = (buf: Buffer, animated: boolean) =>
    sharp(buf, { limitInputPixels: maxPixels, animated, failOn: 'error', sequentialRead: true })

  /** Refuses an image over the pixel limit from its header alone; null when it is no decodable image. */
  async function header(buf: Buffer): Promise<Metadata | null> {
    let meta: Metadata
    try {
      meta = await sharp(buf, { limitInputPixels: false }).metadata()
    } catch {
      return null
    }
    const frameHeight = meta.pageHeight ?? meta.height ?? 0
    const pixels = (meta.width ?? 0) * frameHeight
    if (pixels > maxPixels) {
      throw new AppError('payload_too_large', {
        message: `Images can be at most ${Math.floor(maxPixels / 1_000_000)} megapixels.`,
      })
    }
    return meta
  }

  return {
    /** Pending and running decodes (the bench and tests read it). */
    get load() {
      return { running, waiting: waiting.length }
    },

    /** The image re-encoded and its thumbnail; null when the bytes do not decode (the file is kept as a plain file). */
    process(buf: Buffer, contentType: string): Promise<ProcessedImage | null> {
      return gated(async () => {
        const meta = await header(buf)
        if (!meta) return null
        const animated = (contentType === 'image/gif' || contentType === 'image/webp') && (meta.pages ?? 1) > 1
        try {
          const upright = open(buf, animated).rotate()
          const encoded =
            contentType === 'image/jpeg'
              ? upright.jpeg({ quality: 90 })
              : contentType === 'image/png'
                ? upright.png()
                : contentType === 'image/gif'
                  ? upright.gif()
                  : upright.webp({ quality: 90 })
          const { data: image, info } = await encoded.toBuffer({ resolveWithObject: true })
          const thumb = await open(buf, animated)
            .rotate()
            .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
            .webp({ quality: 80 })
            .toBuffer()
          return { image, contentType, width: info.width, height: info.pageHeight ?? info.height, thumb }
        } catch (err) {
          if (err instanceof Error && /pixel limit/i.test(err.message)) throw new AppError('payload_too_large')
          return null
        }
      })
    },

    /** A profile picture: upright, cropped to a square around what draws the eye, without metadata. */
    avatar(buf: Buffer): Promise<Buffer> {
      return gated(async () => {
        const meta = await header(buf)
        if (!meta) throw new AppError('invalid_input', { message: 'That is not a PNG, JPEG, GIF or WebP image.' })
        try {
          return await open(buf, false)
            .rotate()
            .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover', position: sharp.strategy.attention })
            .webp({ quality: 85 })
            .toBuffer()
        } catch {
          throw new AppError('invalid_input', { message: 'That image could not be read.' })
        }
      })
    },
  }
}
