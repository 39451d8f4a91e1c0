#!/usr/bin/env python3
"""The rules of scripts/check-doc-commands.py that decide what runs and what
matches: markers, expected-output blocks, the wildcard rule."""
import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', 'scripts', 'check-doc-commands.py')
spec = importlib.util.spec_from_file_location('check_doc_commands', SCRIPT)
docrun = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docrun)


def parse_text(text):
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, 'doc.md'), 'w', encoding='utf-8') as f:
            f.write(text)
        return docrun.parse(root, 'doc.md')


class ParseTest(unittest.TestCase):
    def test_a_marked_block_and_the_output_after_it(self):
        blocks, setups = parse_text(
            'Intro\n'
            '<!-- doc-run: tour setup=demo -->\n'
            '```sh\n'
            'xatm balance\n'
            '```\n'
            '\n'
            '```\n'
            'total 150.00\n'
            '```\n')
        self.assertEqual(len(blocks), 1)
        self.assertEqual(blocks[0].group, 'tour')
        self.assertEqual(blocks[0].text, ['xatm balance'])
        self.assertEqual(blocks[0].line, 4)
        self.assertEqual(blocks[0].expected, ['total 150.00'])
        self.assertEqual(blocks[0].expected_line, 8)
        self.assertEqual(setups, {'tour': 'demo'})

    def test_unmarked_blocks_never_run(self):
        blocks, _ = parse_text('```sh\nrm -rf /\n```\n')
        self.assertEqual(blocks, [])

    def test_a_block_without_shown_output_compares_nothing(self):
        blocks, _ = parse_text(
            '<!-- doc-run: g -->\n```bash\ntrue\n```\n\n```cpp\nint x;\n```\n')
        self.assertEqual(len(blocks), 1)
        self.assertIsNone(blocks[0].expected)

    def test_malformed_markers_are_refused(self):
        for text in ('<!-- doc-run tour -->\n```sh\ntrue\n```\n',
                     '<!-- doc-run: tour -->\nsome prose\n',
                     '<!-- doc-run: tour -->\n```cpp\nint x;\n```\n',
                     '<!-- doc-run: tour setup=docker -->\n```sh\ntrue\n```\n',
                     '<!-- doc-run: tour -->\n```sh\ntrue\n'):
            with self.subTest(text=text):
                with self.assertRaises(docrun.UsageError):
                    parse_text(text)

    def test_one_group_has_one_setup(self):
        with self.assertRaises(docrun.UsageError):
            parse_text('<!-- doc-run: g setup=demo -->\n```sh\ntrue\n```\n'
                       '<!-- doc-run: g setup=none -->\n```sh\ntrue\n```\n')


class MatchTest(unittest.TestCase):
    def test_literal_lines_must_be_equal(self):
        self.assertIsNone(docrun.mismatch(['total 150.00'], ['total 150.00']))
        self.assertEqual(docrun.mismatch(['total 151.00'], ['total 150.00']),
                         0)
        self.assertEqual(docrun.mismatch(['a', 'b'], ['a']), 1)
        self.assertIsNotNone(docrun.mismatch(['a'], ['a', 'b']))

    def test_trailing_blanks_are_ignored_dots_are_not_wildcards_alone(self):
        self.assertIsNone(docrun.mismatch(['a'], ['a   ']))
        self.assertIsNotNone(docrun.mismatch(['a.b'], ['axb']))

    def test_dots_inside_a_line_match_any_text_of_that_line(self):
        self.assertIsNone(docrun.mismatch(['pg:alice ...'], ['pg:alice 59.25']))
        self.assertIsNone(docrun.mismatch(['total...'], ['total']))
        self.assertIsNotNone(docrun.mismatch(['pg:alice ...'], ['my:bob 1']))

    def test_a_line_of_dots_matches_any_number_of_lines(self):
        expected = ['first', '...', 'last']
        self.assertIsNone(docrun.mismatch(expected, ['first', 'last']))
        self.assertIsNone(docrun.mismatch(expected, ['first', 'x', 'y', 'last']))
        self.assertIsNotNone(docrun.mismatch(expected, ['first', 'x']))

    def test_placeholders_match_only_their_shape(self):
        line = ['xatm:demo:BEGIN_MS:UNIQUE:f committed']
        self.assertIsNone(docrun.mismatch(
            line, ['xatm:demo:1796570181421:3d254a5400000001:f committed']))
        self.assertIsNotNone(docrun.mismatch(
            line, ['xatm:demo:17965x:3d254a5400000001:f committed']))
        self.assertIsNotNone(docrun.mismatch(
            line, ['xatm:demo:1796570181421:3d254a54:f committed']))
        self.assertIsNone(docrun.mismatch(
            ['GTRID aborted'], ['xatm:n1:1:0000000000000001:f aborted']))
        self.assertIsNotNone(docrun.mismatch(['GTRID aborted'],
                                             ['n1:1 aborted']))


if __name__ == '__main__':
    unittest.main()
