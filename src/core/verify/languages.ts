/** The checks of every language that can be run. */
import { javascriptCheck } from './javascript';
import { pythonCheck } from './python';
import type { LanguageCheck } from './types';

export const LANGUAGE_CHECKS: readonly LanguageCheck[] = [pythonCheck, javascriptCheck];
