import { ApiError, errorMessage } from '../../lib/api'
import { fieldLabel } from '../../lib/format'

export type FormErrors = { form?: string; fields: Record<string, string> }

/**
 * Turns a failed submit into what the form shows: each field's problem under the field ("Username
 * is already taken"), anything else as one message above the buttons.
 */
export function toFormErrors(err: unknown, knownFields: readonly string[]): FormErrors {
  if (!(err instanceof ApiError)) return { form: errorMessage(err), fields: {} }
  const fields: Record<string, string> = {}
  const other: string[] = []
  for (const [path, problem] of Object.entries(err.fields)) {
    const field = path.split('.')[0] ?? path
    if (knownFields.includes(field)) fields[field] ??= `${fieldLabel(field)} ${problem}.`
    else other.push(`${fieldLabel(field)} ${problem}.`)
  }
  const form = Object.keys(fields).length > 0 && other.length === 0 ? undefined : [err.message, ...other].join(' ')
  return { form, fields }
}
