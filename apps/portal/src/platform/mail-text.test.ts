import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mailText } from './mail-text.ts';

test('plain names pass unchanged', () => {
  assert.equal(mailText('Mia Member'), 'Mia Member');
  assert.equal(mailText('Dr. Jane Doe-Smith'), 'Dr. Jane Doe-Smith');
});

test('newlines, control, bidirectional and invisible characters cannot forge or hide text', () => {
  assert.equal(mailText('Mia\n\nYour account is locked.\r\nCall us'), 'Mia Your account is locked. Call us');
  assert.equal(mailText('abc\u202Egnp.exe\u200B\u0007'), 'abc gnp .exe');
});

test('addresses a mail client would link are broken up', () => {
  assert.equal(mailText('Visit https://evil.example/pay now'), 'Visit https: evil .example/pay now');
  assert.equal(mailText('www.evil.example'), 'www .evil .example');
});

test('long text is cut to the bound with an ellipsis', () => {
  const cut = mailText('x'.repeat(500), 60);
  assert.equal([...cut].length, 60);
  assert.ok(cut.endsWith('…'));
});
