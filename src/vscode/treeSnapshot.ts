/**
 * What a tree view shows, read through its own TreeDataProvider (getChildren + getTreeItem, as the view does), for the
 * extension-host tests (`ModelRouterApi.treeSnapshot()`). Plain data: labels, descriptions and context values.
 */
import * as vscode from 'vscode';

export interface TreeSnapshotItem {
  readonly id: string | undefined;
  readonly label: string;
  readonly description: string;
  readonly contextValue: string | undefined;
  readonly children: readonly TreeSnapshotItem[];
}

/** Every item of the tree, expanded to `depth` levels (1: the roots only). */
export async function snapshotTree<T>(provider: vscode.TreeDataProvider<T>, depth = 3, parent?: T): Promise<TreeSnapshotItem[]> {
  const nodes = (await provider.getChildren(parent)) ?? [];
  const items: TreeSnapshotItem[] = [];
  for (const node of nodes) {
    const item = await provider.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    const expandable = item.collapsibleState !== undefined && item.collapsibleState !== vscode.TreeItemCollapsibleState.None;
    items.push({
      id: item.id,
      label,
      description: typeof item.description === 'string' ? item.description : '',
      contextValue: item.contextValue,
      children: expandable && depth > 1 ? await snapshotTree(provider, depth - 1, node) : [],
    });
  }
  return items;
}
