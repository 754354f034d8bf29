/**
 * What a command runs on: the selection, or when nothing is selected the innermost function, method or class around
 * the cursor (from the language's document symbols), or failing that the whole file when it is short.
 */
import * as vscode from 'vscode';

export interface RunTarget {
  readonly document: vscode.TextDocument;
  readonly range: vscode.Range;
  readonly text: string;
  /** The document's version when the text was taken, to notice edits made while the model answers. */
  readonly version: number;
  /** `src/a.ts:10-42`, for the prompt and the log. */
  readonly source: string;
  /** How the range was chosen, for the progress message. */
  readonly origin: 'selection' | 'function' | 'file';
}

const CODE_SYMBOLS = new Set([
  vscode.SymbolKind.Function,
  vscode.SymbolKind.Method,
  vscode.SymbolKind.Constructor,
  vscode.SymbolKind.Class,
  vscode.SymbolKind.Interface,
  vscode.SymbolKind.Struct,
  vscode.SymbolKind.Enum,
  vscode.SymbolKind.Module,
  vscode.SymbolKind.Namespace,
]);

/** Whole files up to this many lines are sent when no selection and no enclosing symbol exist. */
export const WHOLE_FILE_MAX_LINES = 400;

function innermost(symbols: readonly vscode.DocumentSymbol[], position: vscode.Position): vscode.DocumentSymbol | undefined {
  for (const symbol of symbols) {
    if (!symbol.range.contains(position)) continue;
    const child = innermost(symbol.children, position);
    if (child && CODE_SYMBOLS.has(child.kind)) return child;
    if (CODE_SYMBOLS.has(symbol.kind)) return child ?? symbol;
    if (child) return child;
  }
  return undefined;
}

export async function findTarget(editor: vscode.TextEditor): Promise<RunTarget | undefined> {
  const { document, selection } = editor;
  let range: vscode.Range | undefined;
  let origin: RunTarget['origin'] = 'selection';
  if (!selection.isEmpty) {
    range = new vscode.Range(selection.start, selection.end);
  } else {
    const symbols = await Promise.resolve(
      vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>('vscode.executeDocumentSymbolProvider', document.uri),
    ).catch(() => undefined);
    const symbol = symbols && symbols.length > 0 && 'children' in symbols[0]! ? innermost(symbols, selection.active) : undefined;
    if (symbol) {
      range = new vscode.Range(symbol.range.start.line, 0, symbol.range.end.line, document.lineAt(symbol.range.end.line).text.length);
      origin = 'function';
    } else if (document.lineCount <= WHOLE_FILE_MAX_LINES && document.getText().trim() !== '') {
      range = new vscode.Range(0, 0, document.lineCount - 1, document.lineAt(document.lineCount - 1).text.length);
      origin = 'file';
    }
  }
  if (!range) return undefined;
  const text = document.getText(range);
  if (text.trim() === '') return undefined;
  const name = vscode.workspace.asRelativePath(document.uri, false);
  // Whole lines selected with Shift+Down end at column 0 of the next line, which holds none of the text.
  const lastLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
  return { document, range, text, version: document.version, source: `${name}:${range.start.line + 1}-${lastLine + 1}`, origin };
}
