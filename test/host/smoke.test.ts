import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'b24tools.bitrix24-task-counters';

describe('extension smoke', () => {
  it(`is installed as ${EXTENSION_ID}`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not among vscode.extensions.all: `
      + vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', '));
    assert.equal(ext.packageJSON.publisher, 'b24tools');
    assert.equal(ext.packageJSON.name, 'bitrix24-task-counters');
  });

  it('activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
