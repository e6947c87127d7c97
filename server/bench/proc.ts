// Reads CPU time and memory of processes from /proc (Linux), so the harness measures the servers
// from outside without instrumenting them.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

let clockTicks = 0
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/**
 * CPU time of a process (all its threads), in µs; null when it is gone.
 *
 * Summed from each thread's `/proc/<pid>/task/<tid>/schedstat` (nanoseconds). `/proc/<pid>/stat`
 * counts in clock ticks (10 ms), so a short window on a lightly loaded server could read 0 µs and
 * its per-CPU figures and ratios went missing (issue 12: the smoke test's "L-chat-peak has the
 * parlor-2÷socketio ratio: got undefined" under load). Node's threads (main, libuv pool, V8 workers)
 * live as long as the process, so the live threads' sum is the process's CPU time; a thread that
 * ended is still counted through the tick total, which is used when it is larger.
 */
export function cpuUs(pid: number): number | null {
  const ticks = tickCpuUs(pid)
  if (ticks === null) return null
  let ns = 0
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return ticks
  }
  const precise = ns / 1000
  // Within one tick of each other: the precise sum. Otherwise threads ended and took time with them.
  return precise + 1_000_000 / ticksPerSecond() >= ticks ? precise : ticks
}

function tickCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return ((utime + stime) * 1_000_000) / ticksPerSecond()
  } catch {
    return null
  }
}

/** Resident set size in kB (VmRSS); null when the process is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/** The soft open-files limit of a process. */
export function openFilesLimit(pid: number | 'self' = 'self'): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))
    return m ? (m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1])) : null
  } catch {
    return null
  }
}

/**
 * CPU µs of the PostgreSQL processes serving `database` plus PostgreSQL's shared background processes
 * (WAL writer, checkpointer…) and Redis, by pid. Backends of other databases (other tenants of the
 * machine's server) are left out; Redis is one shared process.
 */
export type InfraCpu = Map<number, { cpu: number; kind: 'postgres' | 'redis' }>

export function infraCpuByPid(database: string): InfraCpu {
  const out: InfraCpu = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim()
      if (comm !== 'postgres' && comm !== 'redis-server') continue
      if (comm === 'postgres') {
        // "postgres: 15/main: <user> <database> <host>(<port>) <state>" for backends.
        const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ')
        const backend = /^postgres: [^:]+: \S+ (\S+) \S+\(\d+\)/.exec(title)
        if (backend && backend[1] !== database) continue
      }
      const cpu = cpuUs(Number(entry))
      if (cpu !== null) out.set(Number(entry), { cpu, kind: comm === 'postgres' ? 'postgres' : 'redis' })
    } catch {}
  }
  return out
}

/** Machine-wide CPU time from /proc/stat, in µs summed over all cores: busy and total. */
export function machineCpuUs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = v[3] + v[4]
  const scale = 1_000_000 / ticksPerSecond()
  return { busy: (total - idle) * scale, total: total * scale }
}
