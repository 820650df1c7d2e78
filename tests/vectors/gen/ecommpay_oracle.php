<?php
/*
 * polypay conformance oracle for the ecommpay signing scheme (docs/ecommpay.md §1-§3).
 *
 * Independent implementation written for the polypay test vectors; it uses only
 * PHP built-ins so that PHP's own semantics (json_decode number typing, array keys,
 * array_merge, ksort SORT_NATURAL, (string) float casts with precision=14,
 * http_build_query RFC 1738) define the expected outputs.
 *
 * Protocol: a JSON job on stdin {"tasks": [ {...}, ... ]}; prints {"php_version": ...,
 * "results": [ ... ]} (one result per task, same order) on stdout.
 *
 * Task kinds ("op"):
 *   sign      {params_json, secret}        -> {string_to_sign, signature}
 *   url       {params_json, secret, base_url|null}
 *                                           -> {url, query, string_to_sign, signature}
 *   callback  {body, secret}               -> decoding facts + signature of the body
 *   natcmp    {a, b}                       -> {cmp: sign of strnatcmp(a, b)}
 *   float     {lexeme}                     -> {type, php_string}
 *   hmac      {secret, message}            -> {signature}
 */

declare(strict_types=0);

ini_set('precision', '14');
ini_set('serialize_precision', '-1');
error_reporting(E_ALL);
set_error_handler(function ($no, $str, $file, $line) {
    throw new ErrorException($str, 0, $no, $file, $line);
});

const POLYPAY_DEFAULT_BASE = 'https://paymentpage.ecommpay.com';
// Our SDK accepts at most 64 nested containers (the top-level object counts as 1).
// PHP's json_decode(..., $depth) admits $depth - 1 nested containers, hence 65.
const POLYPAY_CALLBACK_MAX_CONTAINERS = 64;
const POLYPAY_JSON_DEPTH = POLYPAY_CALLBACK_MAX_CONTAINERS + 1;

/* ---------------------------------------------------------------- signing */

/** Turn one parameter tree into [path => "path:value"] (unsorted). */
function polypay_flatten(array $tree, string $prefix): array
{
    $collected = [];
    foreach ($tree as $name => $item) {
        if ($name === 'frame_mode') {            // ignored at every depth
            continue;
        }
        $path = ($prefix ? $prefix . ':' : '') . str_replace(':', '::', (string)$name);
        if (is_array($item)) {
            $collected = array_merge($collected, polypay_flatten($item, $path));
            continue;
        }
        if (is_bool($item)) {
            $text = $item ? '1' : '0';
        } elseif ($item === null) {
            $text = '';
        } else {
            $text = (string)$item;                 // ints, floats (precision=14), strings
        }
        $collected[$path] = $path . ':' . $text;
    }
    return $collected;
}

function polypay_string_to_sign(array $params): string
{
    $elements = polypay_flatten($params, '');
    ksort($elements, SORT_NATURAL);
    return implode(';', $elements);
}

function polypay_hmac(string $message, string $secret): string
{
    return base64_encode(hash_hmac('sha512', $message, $secret, true));
}

/* ---------------------------------------------------------------- helpers */

function polypay_decode_params(string $text): array
{
    $value = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    if (!is_array($value)) {
        throw new RuntimeException('params_json is not an object');
    }
    return $value;
}

/** Remove null members at every depth (our URL semantics). */
function polypay_drop_nulls(array $tree): array
{
    $kept = [];
    foreach ($tree as $name => $item) {
        if ($item === null) {
            continue;
        }
        $kept[$name] = is_array($item) ? polypay_drop_nulls($item) : $item;
    }
    return $kept;
}

/** Remove every member named "signature" at every depth, also inside lists. */
function polypay_strip_signature(array $tree): array
{
    if (array_key_exists('signature', $tree)) {
        unset($tree['signature']);
    }
    foreach ($tree as $name => $item) {
        if (is_array($item)) {
            $tree[$name] = polypay_strip_signature($item);
        }
    }
    return $tree;
}

function polypay_describe(mixed $v): array
{
    if ($v === null) {
        return ['kind' => 'null', 'text' => null];
    }
    if (is_string($v)) {
        return ['kind' => 'string', 'text' => $v];
    }
    if (is_bool($v)) {
        return ['kind' => 'bool', 'text' => $v ? '1' : '0'];
    }
    if (is_int($v)) {
        return ['kind' => 'int', 'text' => (string)$v];
    }
    if (is_float($v)) {
        return ['kind' => 'float', 'text' => (string)$v];
    }
    return ['kind' => 'array', 'text' => null];
}

function polypay_path(array $data, array $keys): mixed
{
    $cur = $data;
    foreach ($keys as $k) {
        if (!is_array($cur) || !array_key_exists($k, $cur)) {
            return null;
        }
        $cur = $cur[$k];
    }
    return $cur;
}

/* ---------------------------------------------------------------- tasks */

function polypay_task_sign(array $t): array
{
    $params = polypay_decode_params($t['params_json']);
    $msg = polypay_string_to_sign($params);
    return ['string_to_sign' => $msg, 'signature' => polypay_hmac($msg, $t['secret'])];
}

function polypay_task_url(array $t): array
{
    $params = polypay_drop_nulls(polypay_decode_params($t['params_json']));
    $msg = polypay_string_to_sign($params);
    $sig = polypay_hmac($msg, $t['secret']);
    $base = $t['base_url'] === null ? POLYPAY_DEFAULT_BASE : rtrim($t['base_url'], '/');
    $query = http_build_query($params, '', '&', PHP_QUERY_RFC1738);
    $url = $base . '/payment?' . ($query === '' ? '' : $query . '&') . 'signature=' . urlencode($sig);
    return ['url' => $url, 'query' => $query, 'string_to_sign' => $msg, 'signature' => $sig];
}

function polypay_task_callback(array $t): array
{
    $body = $t['body'];
    $out = [
        'decodable' => false, 'json_error' => null, 'too_deep' => false, 'is_object' => false,
        'signature_found' => null, 'string_to_sign' => null, 'expected_signature' => null,
        'payment_id' => null, 'payment_status' => null,
    ];
    $asObject = json_decode($body, false, POLYPAY_JSON_DEPTH);
    if (json_last_error() !== JSON_ERROR_NONE) {
        $out['json_error'] = json_last_error_msg();
        $out['too_deep'] = json_last_error() === JSON_ERROR_DEPTH;
        return $out;
    }
    $out['decodable'] = true;
    $out['is_object'] = $asObject instanceof stdClass;
    if (!$out['is_object']) {
        return $out;
    }
    $data = json_decode($body, true, POLYPAY_JSON_DEPTH);
    // signature: top-level "signature" (unless absent or null), else general.signature
    if (array_key_exists('signature', $data) && $data['signature'] !== null) {
        $found = polypay_describe($data['signature']);
        $found['where'] = 'signature';
    } elseif (isset($data['general']) && is_array($data['general'])
        && array_key_exists('signature', $data['general'])) {
        $found = polypay_describe($data['general']['signature']);
        $found['where'] = 'general.signature';
    } else {
        $found = ['kind' => 'missing', 'text' => null, 'where' => null];
    }
    $out['signature_found'] = $found;
    $rest = polypay_strip_signature($data);
    $msg = polypay_string_to_sign($rest);
    $out['string_to_sign'] = $msg;
    $out['expected_signature'] = polypay_hmac($msg, $t['secret']);
    // payment_id falls back to general.payment_id (Gate-format callbacks).
    foreach (['payment_id' => [['payment', 'id'], ['general', 'payment_id']], 'payment_status' => [['payment', 'status']]] as $k => $paths) {
        $v = null;
        foreach ($paths as $p) {
            $v = $v ?? polypay_path($data, $p);
        }
        $d = polypay_describe($v);
        $out[$k] = ($d['kind'] === 'string' || $d['kind'] === 'int' || $d['kind'] === 'float') ? $d['text'] : null;
    }
    return $out;
}

function polypay_task_natcmp(array $t): array
{
    return ['cmp' => strnatcmp($t['a'], $t['b']) <=> 0];
}

function polypay_task_float(array $t): array
{
    $v = json_decode($t['lexeme'], false, 512, JSON_THROW_ON_ERROR);
    return ['type' => get_debug_type($v), 'php_string' => (string)$v];
}

function polypay_task_hmac(array $t): array
{
    return ['signature' => polypay_hmac($t['message'], $t['secret'])];
}

/* ---------------------------------------------------------------- main */

$job = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$results = [];
foreach ($job['tasks'] as $i => $task) {
    $results[] = match ($task['op']) {
        'sign' => polypay_task_sign($task),
        'url' => polypay_task_url($task),
        'callback' => polypay_task_callback($task),
        'natcmp' => polypay_task_natcmp($task),
        'float' => polypay_task_float($task),
        'hmac' => polypay_task_hmac($task),
    };
}
echo json_encode(
    ['php_version' => PHP_VERSION, 'results' => $results],
    JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR
), "\n";
