// @ts-nocheck
/**
 * A minimal stand-in for the `vscode` module, enough for dist/extension.js to load and activate() to run in plain
 * Node (bench/extension.bench.ts). It implements what activation touches: output channel, event emitters, event
 * subscriptions, status bar item, tree views, content providers, diagnostics, commands, Uri, enums. Nothing is
 * shown and no command runs.
 *
 * Any other member the extension reads is answered by a generic no-op (callable, constructible, disposable) and its
 * name recorded in `__unknown`, so the bench can say what activation touched beyond this stub instead of failing.
 */
'use strict';

const unknown = new Set();

/** A value that is every shape at once: a function, a class, an object with any member, a disposable. */
function generic(name) {
  const target = function () {};
  return new Proxy(target, {
    get(_t, key) {
      if (key === 'then') return undefined; // not a thenable: `await generic` must not hang
      if (key === Symbol.toPrimitive) return () => `[stub ${name}]`;
      if (key === 'dispose') return () => undefined;
      if (typeof key === 'symbol') return undefined;
      return generic(`${name}.${key}`);
    },
    apply: () => generic(`${name}()`),
    construct: () => generic(`new ${name}`),
  });
}

/** Wraps a namespace so that unknown members are recorded and faked. */
function namespace(name, members) {
  return new Proxy(members, {
    get(target, key) {
      // `__esModule`: esbuild's import interop asks; the real module has no such member either.
      if (key in target || typeof key === 'symbol' || key === '__esModule') return target[key];
      unknown.add(`${name}.${String(key)}`);
      return generic(`${name}.${String(key)}`);
    },
  });
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((item) => item?.dispose?.()));
  }
  dispose() {
    this.callOnDispose?.();
    this.callOnDispose = undefined;
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener, thisArg) => {
      const bound = thisArg ? listener.bind(thisArg) : listener;
      this.listeners.add(bound);
      return new Disposable(() => this.listeners.delete(bound));
    };
  }
  fire(value) {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

/** An event nobody fires. */
const noEvent = () => new Disposable();

class Uri {
  constructor(scheme, path) {
    this.scheme = scheme;
    this.path = path;
    this.authority = '';
    this.query = '';
    this.fragment = '';
  }
  get fsPath() {
    return this.path;
  }
  static file(path) {
    return new Uri('file', path);
  }
  static parse(text) {
    const match = /^([a-z][\w+.-]*):(.*)$/i.exec(text);
    return match ? new Uri(match[1], match[2].replace(/^\/\//, '')) : new Uri('file', text);
  }
  static from(parts) {
    return new Uri(parts.scheme, parts.path ?? '');
  }
  static joinPath(base, ...segments) {
    return new Uri(base.scheme, [base.path.replace(/\/$/, ''), ...segments].join('/'));
  }
  with(change) {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString() {
    return `${this.scheme}://${this.path}`;
  }
}

class ThemeIcon {
  constructor(id, color) {
    this.id = id;
    this.color = color;
  }
}
class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}
class MarkdownString {
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(text) {
    this.value += text;
    return this;
  }
  appendText(text) {
    this.value += text;
    return this;
  }
}
class TreeItem {
  constructor(label, collapsibleState) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

function outputChannel(name) {
  return {
    name,
    logLevel: 2,
    onDidChangeLogLevel: noEvent,
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error() {},
    append() {},
    appendLine() {},
    replace() {},
    clear() {},
    show() {},
    hide() {},
    dispose() {},
  };
}

function statusBarItem(id) {
  return { id, text: '', tooltip: undefined, command: undefined, name: undefined, backgroundColor: undefined, show() {}, hide() {}, dispose() {} };
}

const configuration = {
  get: (_key, fallback) => fallback,
  has: () => false,
  inspect: () => undefined,
  update: async () => undefined,
};

const vscode = {
  version: '1.104.0',
  Disposable,
  EventEmitter,
  Uri,
  ThemeIcon,
  ThemeColor,
  MarkdownString,
  TreeItem,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
  SymbolKind: Object.fromEntries(
    ['File', 'Module', 'Namespace', 'Package', 'Class', 'Method', 'Property', 'Field', 'Constructor', 'Enum', 'Interface', 'Function', 'Variable', 'Constant', 'String', 'Number', 'Boolean', 'Array', 'Object', 'Key', 'Null', 'EnumMember', 'Struct', 'Event', 'Operator', 'TypeParameter'].map((name, index) => [name, index]),
  ),
  window: namespace('window', {
    createOutputChannel: (name) => outputChannel(name),
    createStatusBarItem: (id) => statusBarItem(id),
    createTreeView: () => ({ dispose() {}, onDidChangeVisibility: noEvent, onDidExpandElement: noEvent, onDidCollapseElement: noEvent, visible: false }),
    registerWebviewPanelSerializer: () => new Disposable(),
    onDidChangeWindowState: noEvent,
    onDidChangeActiveTextEditor: noEvent,
    onDidChangeActiveColorTheme: noEvent,
    activeTextEditor: undefined,
    visibleTextEditors: [],
    state: { focused: true, active: true },
  }),
  workspace: namespace('workspace', {
    getConfiguration: () => configuration,
    onDidChangeConfiguration: noEvent,
    onDidGrantWorkspaceTrust: noEvent,
    onDidChangeWorkspaceFolders: noEvent,
    onDidSaveTextDocument: noEvent,
    registerTextDocumentContentProvider: () => new Disposable(),
    createFileSystemWatcher: () => ({ onDidChange: noEvent, onDidCreate: noEvent, onDidDelete: noEvent, dispose() {} }),
    workspaceFolders: undefined,
    isTrusted: true,
  }),
  languages: namespace('languages', {
    createDiagnosticCollection: () => ({ set() {}, delete() {}, clear() {}, dispose() {} }),
  }),
  commands: namespace('commands', {
    registerCommand: () => new Disposable(),
    executeCommand: async () => undefined,
  }),
  lm: namespace('lm', {
    registerLanguageModelChatProvider: () => new Disposable(),
    selectChatModels: async () => [],
    onDidChangeChatModels: noEvent,
  }),
  env: namespace('env', { language: 'en', appName: 'bench', uiKind: 1 }),
  extensions: namespace('extensions', { getExtension: () => undefined, all: [] }),
  __unknown: unknown,
};

/** An ExtensionContext for one activation, in a folder that is never written (nothing runs long enough to). */
vscode.__makeContext = (extensionPath, packageJSON) => {
  const memento = () => {
    const values = new Map();
    return { get: (key, fallback) => (values.has(key) ? values.get(key) : fallback), update: async (key, value) => void values.set(key, value), keys: () => [...values.keys()], setKeysForSync() {} };
  };
  const storage = Uri.file(`${extensionPath}/.bench-storage`);
  return {
    subscriptions: [],
    extensionPath,
    extensionUri: Uri.file(extensionPath),
    extension: { id: `${packageJSON.publisher}.${packageJSON.name}`, packageJSON, extensionUri: Uri.file(extensionPath) },
    globalStorageUri: storage,
    storageUri: storage,
    logUri: storage,
    globalState: memento(),
    workspaceState: memento(),
    secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: noEvent },
    environmentVariableCollection: generic('environmentVariableCollection'),
    extensionMode: 1,
    asAbsolutePath: (relative) => `${extensionPath}/${relative}`,
  };
};

module.exports = namespace('vscode', vscode);
