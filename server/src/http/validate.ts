import type { z } from 'zod'
import { AppError } from '../lib/app-error'

/**
 * Parses input with a contract schema; on failure throws `invalid_input` naming each bad field.
 * REST routes and socket handlers both go through here, so both report errors the same way.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const fields: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.') || 'payload'
    fields[path] ??= issue.code === 'invalid_type' ? describeType(issue) : issue.message
  }
  throw new AppError('invalid_input', { message: `Invalid ${Object.keys(fields).join(', ')}.`, fields })
}

function describeType(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type')
    return `must be ${issue.expected === 'undefined' ? 'absent' : `a ${issue.expected}`}`
  return issue.message
}
