// L-chat+thumbs (issue 21): while the chat runs, `concurrency` uploads of a photo are in flight at
// all times (each makes a re-encoded image and a thumbnail on the server), spread over the instances.
import { nowUs, sleepUntil } from '../clock'

export type ThumbnailReport = { made: number; failed: number; latencyMs: number[]; errors: string[] }

export async function makeThumbnails({
  urls,
  token,
  roomId,
  image,
  concurrency,
  fromUs,
  toUs,
}: {
  urls: string[]
  token: string
  roomId: string
  image: Buffer
  concurrency: number
  fromUs: number
  toUs: number
}): Promise<ThumbnailReport> {
  const report: ThumbnailReport = { made: 0, failed: 0, latencyMs: [], errors: [] }
  await sleepUntil(fromUs)
  const body = new Uint8Array(image)
  const loop = async (i: number) => {
    for (let n = 0; nowUs() < toUs; n++) {
      const url = urls[(i + n) % urls.length]
      const started = performance.now()
      try {
        const res = await fetch(`${url}/api/rooms/${roomId}/uploads?name=photo-${i}-${n}.jpg`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
          body,
        })
        const answer = (await res.json()) as { upload?: { kind: string }; error?: { message: string } }
        if (res.status === 201 && answer.upload?.kind === 'image') {
          report.made++
          report.latencyMs.push(performance.now() - started)
        } else {
          report.failed++
          if (report.errors.length < 3) report.errors.push(`${res.status} ${answer.error?.message ?? ''}`)
        }
      } catch (err) {
        report.failed++
        if (report.errors.length < 3) report.errors.push(String(err))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)))
  return report
}
