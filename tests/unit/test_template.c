/* Unit tests of lib/template: Go's text/template as docker's --format uses
 * it.  The expected outputs are what Go 1.19's text/template with docker's
 * functions prints for the same data decoded as map[string]interface{}
 * (integers as int), except where the header says cairn differs on purpose
 * (json keeps key order, join takes any array of strings). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "template.h"
#include "unit.h"

/* What `docker inspect` shows of a container, trimmed, plus odd values. */
static const char *const container_json =
    "{\"Id\":\"4c01db0b339cf6f8a5f5d3e1b2c3d4e5f60718293a4b5c6d7e8f901234567890\","
    "\"Name\":\"/web\",\"Path\":\"nginx\",\"Args\":[\"-g\",\"daemon off;\"],"
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,\"Pid\":4242,"
    "\"ExitCode\":0,\"Health\":null},"
    "\"Image\":\"sha256:9c7a54a9a43c\",\"LogPath\":\"/var/lib/cairn/containers/4c01/ctr.log\","
    "\"Config\":{\"Hostname\":\"4c01db0b339c\",\"Env\":[\"PATH=/usr/bin\",\"NGINX_VERSION=1.25\"],"
    "\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],\"Image\":\"nginx:latest\",\"Entrypoint\":null,"
    "\"Labels\":{\"com.example.vendor\":\"ACME\",\"com.example.version\":\"1.0\"}},"
    "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\","
    "\"MacAddress\":\"02:42:ac:11:00:02\"},\"backend\":{\"IPAddress\":\"10.88.0.7\","
    "\"MacAddress\":\"02:42:0a:58:00:07\"}},"
    "\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],\"443/tcp\":null}},"
    "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"data\",\"Source\":\"/var/lib/x\","
    "\"Destination\":\"/data\",\"RW\":true}],"
    "\"SizeRw\":1.5,\"Big\":1e21,\"Tiny\":1e-7,\"Million\":1000000.0,\"Neg\":-7,"
    "\"Empty\":[],\"NoLabels\":{},\"Mixed\":[1,\"a\",null,true,2.5,{\"k\":\"v\"}],"
    "\"Quote\":\"a\\\"b\\\\c\\n\\u0001<&>\",\"Unicode\":\"h\\u00e9llo w\\u00f6rld\"}";

/* A `docker ps` row as the CLI builds it. */
static const char *const ps_row_json =
    "{\"ID\":\"4c01db0b339c\",\"Image\":\"nginx\",\"Command\":\"\\\"nginx -g 'daemon of…\\\"\","
    "\"CreatedAt\":\"2024-05-01 10:00:00 +0000 UTC\",\"RunningFor\":\"2 hours ago\","
    "\"Ports\":\"0.0.0.0:8080->80/tcp\",\"Status\":\"Up 2 hours\",\"Names\":\"web\","
    "\"Labels\":\"com.example.vendor=ACME\",\"Mounts\":\"data\",\"Networks\":\"bridge\","
    "\"Size\":\"2B (virtual 187MB)\"}";

struct tcase {
  const char *tmpl;
  const char *want;
};

static json_t *load(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
  if (j == NULL) {
    fprintf(stderr, "bad test data: %s\n", je.text);
    abort();
  }
  return j;
}

/* Run each case against data; report the template of a failing case. */
static void run_cases(const struct tcase *c, size_t n, const char *data) {
  cleanup_json json_t *d = load(data);
  for (size_t i = 0; i < n; i++) {
    struct err *e = NULL;
    char *out = NULL;
    struct tmpl *t = tmpl_parse(c[i].tmpl, &e);
    if (t && tmpl_exec(t, d, &out, NULL, &e) < 0)
      out = NULL;
    unit_checks++;
    if (out == NULL || strcmp(out, c[i].want) != 0) {
      unit_failures++;
      fprintf(stderr, "template %s\n  got  \"%s\"\n  want \"%s\"\n", c[i].tmpl,
              out ? out : (e ? e->msg : "(null)"), c[i].want);
    }
    free(out);
    err_free(&e);
    tmpl_free(t);
  }
}

/* Run each case, which must fail with exactly the given message. */
static void run_errors(const struct tcase *c, size_t n, const char *data, int code) {
  cleanup_json json_t *d = load(data);
  for (size_t i = 0; i < n; i++) {
    struct err *e = NULL;
    char *out = NULL;
    struct tmpl *t = tmpl_parse(c[i].tmpl, &e);
    int r = t ? tmpl_exec(t, d, &out, NULL, &e) : -1;
    unit_checks++;
    if (r == 0 || e == NULL || strcmp(e->msg, c[i].want) != 0 || e->code != code || out != NULL) {
      unit_failures++;
      fprintf(stderr, "template %s\n  got  \"%s\" (code %d)\n  want \"%s\" (code %d)\n", c[i].tmpl,
              e     ? e->msg
              : out ? out
                    : "(no error)",
              e ? e->code : 0, c[i].want, code);
    }
    free(out);
    err_free(&e);
    tmpl_free(t);
  }
}

#define RUN_CASES(c, data) run_cases(c, sizeof(c) / sizeof(c[0]), data)
#define RUN_ERRORS(c, data, code) run_errors(c, sizeof(c) / sizeof(c[0]), data, code)

TEST(docker_reference_examples) {
  static const struct tcase inspect[] = {
      {"{{.State.Status}}", "running"},
      {"{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "10.88.0.7172.17.0.2"},
      {"{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}",
       "10.88.0.7\n172.17.0.2\n"},
      {"{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}",
       "02:42:0a:58:00:0702:42:ac:11:00:02"},
      {"{{.LogPath}}", "/var/lib/cairn/containers/4c01/ctr.log"},
      {"{{.Config.Image}}", "nginx:latest"},
      {"{{json .Config}}",
       "{\"Hostname\":\"4c01db0b339c\",\"Env\":[\"PATH=/usr/bin\",\"NGINX_VERSION=1.25\"],"
       "\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],\"Image\":\"nginx:latest\","
       "\"Entrypoint\":null,\"Labels\":{\"com.example.vendor\":\"ACME\","
       "\"com.example.version\":\"1.0\"}}"},
      {"{{json .Mounts}}", "[{\"Type\":\"volume\",\"Name\":\"data\",\"Source\":\"/var/lib/x\","
                           "\"Destination\":\"/data\",\"RW\":true}]"},
      /* docker's example, guarded: 443/tcp has no binding here */
      {"{{range $p, $conf := .NetworkSettings.Ports}}{{if $conf}} {{$p}} -> "
       "{{(index $conf 0).HostPort}}{{end}}{{end}}",
       " 80/tcp -> 8080"},
      {"{{join .Args \" , \"}}", "-g , daemon off;"},
      {"{{lower .Name}}|{{upper .Name}}|{{title .Name}}", "/web|/WEB|/Web"},
      {"{{split .Config.Image \":\"}}", "[nginx latest]"},
      {"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
       "com.example.vendor=ACME;com.example.version=1.0;"},
      {"{{if eq .State.Status \"running\"}}up{{else}}down{{end}}", "up"},
      {"{{index .Config.Labels \"com.example.vendor\"}}", "ACME"},
      {"{{.Config.Labels.com}}", "<no value>"},
      {"{{range .Config.Env}}{{println .}}{{end}}", "PATH=/usr/bin\nNGINX_VERSION=1.25\n"},
      {"{{ range $k, $v := .Config.Labels -}} {{ $k }}={{ $v }} {{ end -}}",
       "com.example.vendor=ACME com.example.version=1.0 "},
      {"{{if eq 0 .State.ExitCode}}{{.Name}} {{.State.ExitCode}}{{end}}", "/web 0"},
  };
  RUN_CASES(inspect, container_json);

  static const struct tcase ps[] = {
      {"{{.ID}}: {{.Command}}", "4c01db0b339c: \"nginx -g 'daemon of…\""},
      {"{{.ID}}\t{{.Labels}}", "4c01db0b339c\tcom.example.vendor=ACME"},
      {"{{.Names}} {{.Status}} {{.Ports}}", "web Up 2 hours 0.0.0.0:8080->80/tcp"},
      {"{{json .}}",
       "{\"ID\":\"4c01db0b339c\",\"Image\":\"nginx\",\"Command\":\"\\\"nginx -g 'daemon "
       "of…\\\"\",\"CreatedAt\":\"2024-05-01 10:00:00 +0000 UTC\",\"RunningFor\":\"2 hours "
       "ago\",\"Ports\":\"0.0.0.0:8080->80/tcp\",\"Status\":\"Up 2 hours\",\"Names\":\"web\","
       "\"Labels\":\"com.example.vendor=ACME\",\"Mounts\":\"data\",\"Networks\":\"bridge\","
       "\"Size\":\"2B (virtual 187MB)\"}"},
      {"{{.Image | upper}} {{truncate .ID 4}} {{pad .Names 1 2}}|", "NGINX 4c01  web  |"},
  };
  RUN_CASES(ps, ps_row_json);
}

TEST(values_print_as_go_prints_them) {
  static const struct tcase c[] = {
      {"{{.Args}}", "[-g daemon off;]"},
      {"{{.Config.Labels}}", "map[com.example.vendor:ACME com.example.version:1.0]"},
      {"{{.Mixed}}", "[1 a <nil> true 2.5 map[k:v]]"},
      {"{{.Empty}} {{.NoLabels}}", "[] map[]"},
      {"{{.Missing}} {{.Missing.Deeper}} {{.State.Health}}", "<no value> <no value> <no value>"},
      {"{{.Config.Entrypoint}}", "<no value>"},
      {"{{.State.Pid}} {{.Neg}} {{.SizeRw}} {{.Big}} {{.Tiny}} {{.Million}}",
       "4242 -7 1.5 1e+21 1e-07 1e+06"},
      {"{{.State.Running}} {{.State.Paused}}", "true false"},
      {"{{.Quote}}", "a\"b\\c\n\x01<&>"},
      {"{{.Unicode}}", "h\xc3\xa9llo w\xc3\xb6rld"},
      {"{{.Mounts}}", "[map[Destination:/data Name:data RW:true Source:/var/lib/x Type:volume]]"},
      {"{{(index .Mounts 0).Name}} {{(index .Args 1)}}", "data daemon off;"},
      {"{{$.Name}} {{$}}", "/web map[Args:[-g daemon off;] Big:1e+21 Config:map[Cmd:[nginx -g "
                           "daemon off;] Entrypoint:<nil> Env:[PATH=/usr/bin NGINX_VERSION=1.25] "
                           "Hostname:4c01db0b339c Image:nginx:latest Labels:map[com.example."
                           "vendor:ACME com.example.version:1.0]] Empty:[] Id:4c01db0b339cf6f8a5"
                           "f5d3e1b2c3d4e5f60718293a4b5c6d7e8f901234567890 Image:sha256:9c7a54a9"
                           "a43c LogPath:/var/lib/cairn/containers/4c01/ctr.log Million:1e+06 "
                           "Mixed:[1 a <nil> true 2.5 map[k:v]] Mounts:[map[Destination:/data "
                           "Name:data RW:true Source:/var/lib/x Type:volume]] Name:/web Neg:-7 "
                           "NetworkSettings:map[Networks:map[backend:map[IPAddress:10.88.0.7 "
                           "MacAddress:02:42:0a:58:00:07] bridge:map[IPAddress:172.17.0.2 "
                           "MacAddress:02:42:ac:11:00:02]] Ports:map[443/tcp:<nil> 80/tcp:"
                           "[map[HostIp:0.0.0.0 HostPort:8080]]]] NoLabels:map[] Path:nginx "
                           "Quote:a\"b\\c\n\x01<&> SizeRw:1.5 State:map[ExitCode:0 Health:<nil> "
                           "Paused:false Pid:4242 Running:true Status:running] Tiny:1e-07 "
                           "Unicode:h\xc3\xa9llo w\xc3\xb6rld]"},
      {"{{\"quoted\"}} {{`raw\\n`}} {{'a'}} {{1.5}} {{1e3}} {{0x1F}} {{-5}} {{true}} {{1_000}} "
       "{{0o17}} {{0b101}} {{print nil}}",
       "quoted raw\\n 97 1.5 1000 31 -5 true 1000 15 5 <nil>"},
      {"{{printf \"%v %v %v\" 1.0 100000.0 0.0001}} {{printf \"%v\" 0.00001}}",
       "1 100000 0.0001 1e-05"},
  };
  RUN_CASES(c, container_json);
}

TEST(control_flow) {
  static const struct tcase c[] = {
      {"{{if .Missing}}a{{else if .State.Health}}b{{else if .State.Pid}}c{{else}}d{{end}}", "c"},
      {"{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}", "ok"},
      {"{{if or .Missing .Empty}}y{{else}}n{{end}}", "n"},
      {"{{with .State}}{{.Status}} {{.Pid}}{{end}}", "running 4242"},
      {"{{with .Missing}}yes{{else}}no{{end}} {{with .Empty}}yes{{else}}empty{{end}}", "no empty"},
      {"{{range .Empty}}x{{else}}none{{end}} {{range .Missing}}x{{else}}missing{{end}}",
       "none missing"},
      {"{{range $i, $e := .Args}}{{$i}}:{{$e}} {{end}}", "0:-g 1:daemon off; "},
      {"{{range $e := .Args}}[{{$e}}]{{end}}", "[-g][daemon off;]"},
      {"{{range .Config.Cmd}}{{if eq . \"-g\"}}{{continue}}{{end}}{{.}};{{end}}",
       "nginx;daemon off;;"},
      {"{{range .Config.Cmd}}{{if eq . \"-g\"}}{{break}}{{end}}{{.}};{{end}}", "nginx;"},
      {"{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}}{{else}}{{.Source}}{{end}}:"
       "{{.Destination}}{{if not .RW}}:ro{{end}}{{end}}",
       "data:/data"},
      {"{{range $n, $net := .NetworkSettings.Networks}}{{$n}}={{$net.IPAddress}} {{else}}none"
       "{{end}}",
       "backend=10.88.0.7 bridge=172.17.0.2 "},
      {"{{range .Mixed}}{{printf \"%T\" .}},{{end}}",
       "int,string,<nil>,bool,float64,map[string]interface {},"},
      {"{{$v := .State.Status}}{{$v}} {{$v = \"changed\"}}{{$v}}", "running changed"},
      {"{{$x := 1}}{{range .Args}}{{$x = .}}{{end}}{{$x}}", "daemon off;"},
      {"{{range .Args}}{{$.Name}}{{end}}", "/web/web"},
      {"{{range $i, $v := .Config.Cmd}}{{range $j, $w := $.Args}}{{$i}}{{$j}} {{end}}{{end}}",
       "00 01 10 11 20 21 "},
      {"{{(.State).Status}} {{(.State.Status)}}", "running running"},
  };
  RUN_CASES(c, container_json);
}

TEST(whitespace_trimming_and_comments) {
  static const struct tcase c[] = {
      {"a {{- .Path}} b {{.Path -}} c", "anginx b nginxc"},
      {"{{- /* comment */ -}}  x  {{- \" y \" -}}  z", "x y z"},
      {"{{/* only a comment */}}", ""},
      {"line\n  {{- .Path -}}  \nend", "linenginxend"},
      {"{{range .Args -}}\n  [{{.}}]\n{{- end}}", "[-g][daemon off;]"},
      {"{{ .Path }} {{.Path}}", "nginx nginx"},
  };
  RUN_CASES(c, container_json);
}

TEST(builtin_functions) {
  static const struct tcase c[] = {
      {"{{len .Args}} {{len .Config.Labels}} {{len .Path}} {{len .Unicode}} {{len .Empty}}",
       "2 2 5 13 0"},
      {"{{index .Args 1}} {{index .Mixed 5 \"k\"}} {{index .Config.Labels \"nope\"}} "
       "{{index .Path 0}}",
       "daemon off; v <no value> 110"},
      {"{{slice .Path 1 3}} {{slice .Args 1}} {{slice .Config.Cmd 0 2}}", "gi [daemon off;] "
                                                                          "[nginx -g]"},
      {"{{eq .State.Pid 4242}} {{eq .State.Pid 1 2 4242}} {{ne .Path \"x\"}} {{eq .Missing "
       "\"x\"}} {{eq .State.Health nil}}",
       "true true true false true"},
      {"{{lt .State.Pid 5000}} {{le 1 1}} {{gt .SizeRw 1.0}} {{ge \"b\" \"a\"}} {{lt \"a\" "
       "\"B\"}}",
       "true true true true false"},
      {"{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}} {{not .Empty}} {{not .Path}}",
       "0 2 x  true false"},
      {"{{print 1 2 \"a\" \"b\" 3 .Missing}}|{{println \"a\" 1}}", "1 2ab3 <nil>|a 1\n"},
      {"{{html .Quote}} {{js \"<a href='x'>\"}} {{urlquery \"a b&c=d/\xc3\xa9\"}}",
       "a&#34;b\\c\n\x01&lt;&amp;&gt; \\u003Ca href\\u003D\\'x\\'\\u003E a+b%26c%3Dd%2F%C3%A9"},
      {"{{.Path | printf \"%s-%s\" \"pre\"}} {{.State.Pid | printf \"%d\" | len}}", "pre-nginx 4"},
      {"{{\"abc\" | printf \"%s\" | upper}}", "ABC"},
  };
  RUN_CASES(c, container_json);
}

TEST(printf_verbs) {
  static const struct tcase c[] = {
      {"{{printf \"%s|%5s|%-5s|%.2s|%q\" \"abc\" \"ab\" \"ab\" \"abc\" \"a\\\"b\"}}",
       "abc|   ab|ab   |ab|\"a\\\"b\""},
      {"{{printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%#x|%c|%q|%U\" 42 42 42 -42 42 255 255 8 5 "
       "255 65 65 233}}",
       "42|   42|42   |-0042|+42|ff|FF|10|101|0xff|A|'A'|U+00E9"},
      {"{{printf \"%v|%g|%e|%f|%.2f|%8.3f|%-8.2f|%08.2f|%+.1f\" 2.5 2.5 2.5 2.5 2.5 2.5 2.5 "
       "-2.5 2.5}}",
       "2.5|2.5|2.500000e+00|2.500000|2.50|   2.500|2.50    |-0002.50|+2.5"},
      {"{{printf \"%t|%v|%6.2f%%\" true false 12.3456}}", "true|false| 12.35%"},
      {"{{printf \"%v\" .Mixed}} {{printf \"%d\" .Args}} {{printf \"%x\" \"hi\"}}",
       "[1 a <nil> true 2.5 map[k:v]] [%!d(string=-g) %!d(string=daemon off;)] 6869"},
      {"{{printf \"%d %d\" 1}}", "1 %!d(MISSING)"},
      {"{{printf \"%d\" 1 2 \"x\" .Missing}}", "1%!(EXTRA int=2, string=x, <nil>)"},
      {"{{printf \"%s\" 5}} {{printf \"%z\" 1}} {{printf \"%d\" .Missing}}",
       "%!s(int=5) %!z(int=1) %!d(<nil>)"},
      {"{{printf \"%[2]d %[1]d\" 1 2}} {{printf \"%*d|%-*d|%.*f\" 5 1 5 2 2 3.14159}}",
       "2 1     1|2    |3.14"},
      {"{{printf \"%T %T %T %T %T\" .Path .State.Pid .SizeRw .Config.Labels .Args}}",
       "string int float64 map[string]interface {} []interface {}"},
      {"{{printf \"%-12s|%12s|\" .Unicode \"\xc3\xa9\"}}",
       "h\xc3\xa9llo w\xc3\xb6rld |           \xc3\xa9|"},
      {"{{printf \"%q\" .Unicode}} {{printf \"%+q\" .Unicode}}",
       "\"h\xc3\xa9llo w\xc3\xb6rld\" \"h\\u00e9llo w\\u00f6rld\""},
  };
  RUN_CASES(c, container_json);
}

TEST(docker_functions) {
  static const struct tcase c[] = {
      {"{{json .Mixed}} {{json .Quote}} {{json .Big}} {{json .Tiny}} {{json .Missing}}",
       "[1,\"a\",null,true,2.5,{\"k\":\"v\"}] \"a\\\"b\\\\c\\n\\u0001<&>\" 1e+21 1e-7 null"},
      {"{{json \"\xe2\x80\xa8\"}} {{json .SizeRw}} {{json .Million}} {{json .Unicode}}",
       "\"\\u2028\" 1.5 1000000 \"h\xc3\xa9llo w\xc3\xb6rld\""},
      {"{{split \"a,b,,c\" \",\"}} {{split \"\" \",\"}} {{split \"abc\" \"\"}} {{len (split "
       "\"a:b\" \":\")}}",
       "[a b  c] [] [a b c] 2"},
      {"{{join .Config.Env \";\"}}|{{join .Empty \",\"}}|{{join .Missing \",\"}}",
       "PATH=/usr/bin;NGINX_VERSION=1.25||"},
      {"{{lower \"\xc3\x80"
       "B\xc3\x89\"}} {{upper .Unicode}} {{title \"hello world-foo_bar o'x\"}}",
       "\xc3\xa0"
       "b\xc3\xa9 H\xc3\x89LLO W\xc3\x96RLD Hello World-Foo_bar O'X"},
      {"{{truncate .Id 12}} {{truncate \"ab\" 5}} {{truncate \"ab\" 2}}", "4c01db0b339c ab ab"},
      {"[{{pad .Path 2 1}}] [{{pad \"\" 2 1}}]", "[  nginx ] []"},
  };
  RUN_CASES(c, container_json);
}

TEST(define_template_block) {
  static const struct tcase c[] = {
      {"{{define \"ip\"}}{{.IPAddress}}{{end}}{{range .NetworkSettings.Networks}}"
       "{{template \"ip\" .}} {{end}}",
       "10.88.0.7 172.17.0.2 "},
      {"{{block \"st\" .State}}{{.Status}}{{end}}|{{template \"st\" .State}}", "running|running"},
      {"{{define \"d\"}}{{$}}{{end}}{{$v := 1}}{{template \"d\" .State.Pid}}", "4242"},
      {"{{define \"r\"}}{{if .}}{{len .}}{{template \"r\" (slice . 1)}}{{end}}{{end}}"
       "{{template \"r\" .Path}}",
       "54321"},
  };
  RUN_CASES(c, container_json);
}

TEST(parse_errors_have_positions) {
  static const struct tcase c[] = {
      {"{{.ID}", "template: :1: bad character U+007D '}'"},
      {"{{.ID}} {{.A | | }}", "template: :1: unexpected \"|\" in command"},
      {"{{}}", "template: :1: missing value for command"},
      {"{{if .A}}x", "template: :1: unexpected EOF"},
      {"{{end}}", "template: :1: unexpected {{end}}"},
      {"{{else}}", "template: :1: unexpected {{else}}"},
      {"a\nb\n{{if .A}}\n{{.B}\n{{end}}", "template: :4: bad character U+007D '}'"},
      {"x\n{{.A\n.B}", "template: :3: bad character U+007D '}' in action started at :2"},
      {"{{.A\n\"x", "template: :2: unterminated quoted string in action started at :1"},
      {"{{.A\n\n", "template: :3: unclosed action started at :1"},
      {"x\n{{.A", "template: :2: unclosed action"},
      {"{{$x}}", "template: :1: undefined variable \"$x\""},
      {"{{nosuch .A}}", "template: :1: function \"nosuch\" not defined"},
      {"{{\"unterminated}}", "template: :1: unterminated quoted string"},
      {"{{(.A}}", "template: :1: unclosed left paren"},
      {"{{.A)}}", "template: :1: unexpected \")\" in command"},
      {"{{.A |\n\n\"x\"}}", "template: :3: non executable command in pipeline stage 2"},
      {"{{/* unclosed}}", "template: :1: unclosed comment"},
      {"{{.A | \"x\"}}", "template: :1: non executable command in pipeline stage 2"},
      {"{{3.A}}", "template: :1: bad number syntax: \"3.A\""},
      {"{{\"x\".y}}", "template: :1: unexpected . after term \"\\\"x\\\"\""},
      {"{{break}}", "template: :1: {{break}} outside {{range}}"},
      {"{{range $a, $b, $c := .A}}{{end}}", "template: :1: too many declarations in range"},
      {"{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}",
       "template: :1: template: multiple definition of template \"x\""},
      {"{{99999999999999999999}}", "template: :1: integer overflow: \"99999999999999999999\""},
      {"{{1+2i}}", "template: :1: complex numbers are not supported: 1+2i"},
      {"{{\xc2\xa3}}", "template: :1: unrecognized character in action: U+00A3 '\xc2\xa3'"},
  };
  RUN_ERRORS(c, container_json, ERR_USAGE);
}

TEST(exec_errors_have_positions) {
  static const struct tcase c[] = {
      {"{{.Path.x}}", "template: :1:7: executing \"\" at <.Path.x>: can't evaluate field x in "
                      "type interface {}"},
      {"{{with $x := .Path}}{{$x.y}}{{end}}",
       "template: :1:24: executing \"\" at <$x.y>: can't evaluate field y in type string"},
      {"{{.State.Health.Status}}", "template: :1:8: executing \"\" at <.State.Health.Status>: "
                                   "nil pointer evaluating interface {}.Status"},
      {"{{.Path 1}}",
       "template: :1:2: executing \"\" at <.Path>: Path is not a method but has arguments"},
      {"x\n  {{index .Args 5}}", "template: :2:4: executing \"\" at <index .Args 5>: error "
                                 "calling index: index out of range: 5"},
      {"{{eq .Path 1}}", "template: :1:2: executing \"\" at <eq .Path 1>: error calling eq: "
                         "incompatible types for comparison"},
      {"{{lt .Missing 1}}", "template: :1:2: executing \"\" at <lt .Missing 1>: error calling "
                            "lt: invalid type for comparison"},
      {"{{range .Path}}x{{end}}",
       "template: :1:8: executing \"\" at <.Path>: range can't iterate over nginx"},
      {"{{split .State.Pid \",\"}}", "template: :1:14: executing \"\" at <.State.Pid>: wrong type "
                                     "for value; expected string; got int"},
      {"{{upper .Missing}}",
       "template: :1:8: executing \"\" at <.Missing>: invalid value; expected string"},
      {"{{truncate .Path \"x\"}}",
       "template: :1:17: executing \"\" at <\"x\">: expected integer; found \"x\""},
      {"{{and}}", "template: :1:2: executing \"\" at <and>: wrong number of args for and: want at "
                  "least 1 got 0"},
      {"{{upper \"a\" \"b\"}}",
       "template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 2"},
      {"{{nil}}", "template: :1:2: executing \"\" at <nil>: nil is not a command"},
      {"{{template \"nope\"}}",
       "template: :1:11: executing \"\" at <{{template \"nope\"}}>: template \"nope\" not defined"},
      {"{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" 1}}",
       "template: :1:25: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum template "
       "depth (1000)"},
      {"{{pad .Path -1 0}}", "template: :1:2: executing \"\" at <pad .Path -1 0>: error calling "
                             "pad: strings: negative Repeat count"},
      {"{{(index .Args 0) 1}}", "template: :1:2: executing \"\" at <(index .Args 0) 1>: can't "
                                "give argument to non-function index .Args 0"},
  };
  RUN_ERRORS(c, container_json, ERR_FAIL);
}

static json_t *label_method(void *ud, json_t *recv, json_t *const *args, size_t n, struct err **e) {
  (void)ud;
  if (n != 1 || args[0] == NULL || !json_is_string(args[0])) {
    err_set(e, 0, "label name must be a string");
    return NULL;
  }
  json_t *labels = json_object_get(recv, "LabelMap");
  json_t *v = json_object_get(labels, json_string_value(args[0]));
  return json_string(v ? json_string_value(v) : "");
}

TEST(methods_with_arguments) {
  static const struct tmpl_method methods[] = {{"Label", 1, label_method}, {NULL, 0, NULL}};
  struct tmpl_opts o = {.methods = methods};
  cleanup_json json_t *row = load("{\"ID\":\"abc\",\"LabelMap\":{\"com.x\":\"1\"}}");
  struct err *e = NULL;
  struct tmpl *t = tmpl_parse("{{.ID}} {{.Label \"com.x\"}} [{{.Label \"nope\"}}]", &e);
  char *out = NULL;
  CHECK(tmpl_exec_opts(t, row, &o, 0, &out, NULL, &e) == 0);
  CHECK_STR(out, "abc 1 []");
  free(out);
  tmpl_free(t);
  t = tmpl_parse("{{.Label 5}}", &e);
  CHECK(tmpl_exec_opts(t, row, &o, 0, &out, NULL, &e) == -1);
  CHECK(out == NULL);
  CHECK_STR(e ? e->msg : NULL, "template: :1:2: executing \"\" at <.Label>: error calling "
                               "Label: label name must be a string");
  err_free(&e);
  tmpl_free(t);
  /* without the method, Go's error for a field given arguments */
  t = tmpl_parse("{{.Label \"x\"}}", &e);
  CHECK(tmpl_exec(t, row, &out, NULL, &e) == -1);
  CHECK_STR(e ? e->msg : NULL,
            "template: :1:2: executing \"\" at <.Label>: Label is not a method but has arguments");
  err_free(&e);
  tmpl_free(t);
}

TEST(header_mode_keeps_column_names) {
  cleanup_json json_t *hdr = load("{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\"}");
  struct tmpl_opts o = {.flags = TMPL_HEADER};
  struct err *e = NULL;
  struct tmpl *t = tmpl_parse("{{.ID | lower}}\t{{upper .Names}}\t{{json .ID}}\t{{truncate .ID "
                              "3}}\t{{pad .Names 1 1}}|{{.Size}}",
                              &e);
  char *out = NULL;
  CHECK(tmpl_exec_opts(t, hdr, &o, 0, &out, NULL, &e) == 0);
  CHECK_STR(out, "CONTAINER ID\tNAMES\tCONTAINER ID\tCONTAINER ID\t NAMES |<no value>");
  free(out);
  /* the same template outside header mode */
  CHECK(tmpl_exec(t, hdr, &out, NULL, &e) == 0);
  CHECK_STR(out, "container id\tNAMES\t\"CONTAINER ID\"\tCON\t NAMES |<no value>");
  free(out);
  tmpl_free(t);
}

TEST(partial_output_on_request) {
  cleanup_json json_t *d = load("{\"A\":\"x\"}");
  struct err *e = NULL;
  struct tmpl *t = tmpl_parse("{{.A}}-{{.A.B}}-{{.A}}", &e);
  char *out = NULL;
  CHECK(tmpl_exec_opts(t, d, NULL, 1, &out, NULL, &e) == -1);
  CHECK_STR(out, "x-");
  CHECK(e != NULL);
  free(out);
  err_free(&e);
  tmpl_free(t);
}

TEST(table_directive_and_preformat) {
  const char *rest;
  CHECK(tmpl_is_table("table {{.ID}}", &rest) == 1);
  CHECK_STR(rest, " {{.ID}}");
  CHECK(tmpl_is_table("{{.ID}} table", &rest) == 0);
  CHECK_STR(rest, "{{.ID}} table");
  CHECK(tmpl_is_table("table", NULL) == 1);
  int table = -1;
  cleanup_free char *a = tmpl_preformat("table {{.ID}}\\t{{.Names}}\\n", &table);
  CHECK_STR(a, "{{.ID}}\t{{.Names}}\n");
  CHECK(table == 1);
  cleanup_free char *b = tmpl_preformat("json", &table);
  CHECK_STR(b, "{{json .}}");
  CHECK(table == 0);
  cleanup_free char *c = tmpl_preformat("  {{.ID}}  ", &table);
  CHECK_STR(c, "{{.ID}}");
  cleanup_free char *d = tmpl_preformat("{{.A}}\\x", NULL);
  CHECK_STR(d, "{{.A}}\\x");
}

TEST(quote_and_json_helpers) {
  const char *cmd = "sh -c \"echo\ttab\" \xff";
  cleanup_free char *q = tmpl_go_quote(cmd, strlen(cmd));
  CHECK_STR(q, "\"sh -c \\\"echo\\ttab\\\" \\xff\"");
  cleanup_json json_t *j = load("{\"b\":[1,2.5,\"<x>\"],\"a\":{\"n\":null,\"t\":true}}");
  cleanup_free char *s = tmpl_json(j);
  CHECK_STR(s, "{\"b\":[1,2.5,\"<x>\"],\"a\":{\"n\":null,\"t\":true}}");
}

/* A template is parsed once and executed per row: 500 rows must take
 * milliseconds (about 2 ms at -O2), far below this bound even under ASan. */
TEST(compiled_once_for_many_rows) {
  struct err *e = NULL;
  struct tmpl *t = tmpl_parse("{{.ID}} {{.Names}} {{if eq .Status \"up\"}}up{{end}} "
                              "{{printf \"%-12s|\" .Image}} {{json .}}",
                              &e);
  CHECK(t != NULL);
  cleanup_json json_t *rows = json_array();
  for (int i = 0; i < 500; i++)
    json_array_append_new(rows, json_pack("{s:i,s:s,s:s,s:s}", "ID", i, "Names", "web", "Status",
                                          i % 2 ? "up" : "down", "Image", "nginx"));
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  int ok = 0;
  for (int i = 0; i < 500; i++) {
    char *out = NULL;
    if (tmpl_exec(t, json_array_get(rows, (size_t)i), &out, NULL, &e) == 0) {
      char want[64];
      snprintf(want, sizeof(want), "%d web %s", i, i % 2 ? "up" : "");
      ok += strncmp(out, want, strlen(want)) == 0;
    }
    free(out);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
  CHECK(ok == 500);
  CHECK(ms < 300);
  if (ms >= 300)
    fprintf(stderr, "500 rows took %.1f ms\n", ms);
  tmpl_free(t);
}

TEST(hostile_templates_fail_cleanly) {
  struct err *e = NULL;
  /* nesting deeper than the parser allows: an error, not a stack overflow */
  size_t depth = 5000;
  char *deep = xmalloc(depth * 2 + 16);
  size_t n = 0;
  memcpy(deep + n, "{{", 2), n += 2;
  for (size_t i = 0; i < depth; i++)
    deep[n++] = '(';
  deep[n++] = '1';
  for (size_t i = 0; i < depth; i++)
    deep[n++] = ')';
  memcpy(deep + n, "}}", 3);
  CHECK(tmpl_parse(deep, &e) == NULL);
  CHECK_STR(e ? e->msg : NULL, "template: :1: template nesting too deep");
  err_free(&e);
  free(deep);
  /* invalid UTF-8: text passes through, quoted literals read it as U+FFFD
   * (strconv.Unquote) */
  struct tmpl *t = tmpl_parse("\xff\xfe{{\"\xff\" | printf \"%q %x\" \"\xc3\"}}", &e);
  CHECK(t != NULL);
  char *out = NULL;
  CHECK(tmpl_exec(t, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "\xff\xfe\"\xef\xbf\xbd\" efbfbd");
  free(out);
  tmpl_free(t);
  /* nil data: fields are <no value>, $ too */
  t = tmpl_parse("{{.A}} {{$}} {{.A.B}}", &e);
  CHECK(tmpl_exec(t, NULL, &out, NULL, &e) == 0);
  CHECK_STR(out, "<no value> <no value> <no value>");
  free(out);
  tmpl_free(t);
}

int main(void) {
  RUN(docker_reference_examples);
  RUN(values_print_as_go_prints_them);
  RUN(control_flow);
  RUN(whitespace_trimming_and_comments);
  RUN(builtin_functions);
  RUN(printf_verbs);
  RUN(docker_functions);
  RUN(define_template_block);
  RUN(parse_errors_have_positions);
  RUN(exec_errors_have_positions);
  RUN(methods_with_arguments);
  RUN(header_mode_keeps_column_names);
  RUN(partial_output_on_request);
  RUN(table_directive_and_preformat);
  RUN(quote_and_json_helpers);
  RUN(compiled_once_for_many_rows);
  RUN(hostile_templates_fail_cleanly);
  return UNIT_DONE();
}
