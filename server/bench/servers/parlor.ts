// Parlor exactly as production starts it (server/src/main.ts), with the bench probe loaded first.
import './probe'

await import('../../src/main')
