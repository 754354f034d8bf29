// A language-model provider of vendor "fake" for the extension-host tests (loaded beside Model Router by
// scripts/runHostTests.ts). Its one model, fake/fake-small, streams "fake-small says: <the last user message>" in three
// parts. The command fakeLm.requests returns the requests it got (text of every message); after fakeLm.deny it answers
// every request with LanguageModelError.NoPermissions, what a caller gets when the user refused consent.
'use strict';
const vscode = require('vscode');

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  /** @type {{ messages: string[] }[]} */
  const requests = [];
  let deny = false;
  const textOf = (message) => message.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
  context.subscriptions.push(
    vscode.lm.registerLanguageModelChatProvider('fake', {
      provideLanguageModelChatInformation: () => [
        { id: 'fake-small', name: 'Fake Small', family: 'fake-small', version: '1', maxInputTokens: 8000, maxOutputTokens: 1000, capabilities: {} },
      ],
      provideTokenCount: async (_model, text) => Math.ceil((typeof text === 'string' ? text : textOf(text)).length / 4),
      provideLanguageModelChatResponse: async (_model, messages, _options, progress, token) => {
        const texts = messages.map(textOf);
        requests.push({ messages: texts });
        if (deny) throw vscode.LanguageModelError.NoPermissions('The user did not allow this extension to use the fake models.');
        const answer = `fake-small says: ${texts[texts.length - 1] ?? ''}`;
        const third = Math.ceil(answer.length / 3);
        for (const part of [answer.slice(0, third), answer.slice(third, 2 * third), answer.slice(2 * third)]) {
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          progress.report(new vscode.LanguageModelTextPart(part));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
    }),
    vscode.commands.registerCommand('fakeLm.requests', () => requests),
    vscode.commands.registerCommand('fakeLm.deny', () => {
      deny = true;
    }),
  );
}

module.exports = { activate, deactivate: () => undefined };
