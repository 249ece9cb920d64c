# lazysnap rpull without a JVM: the launcher runs this relay (perl-base alone, which every Debian and Ubuntu node
# has), so that the client on a container's start-up path starts in milliseconds. The pull runs
# in the daemon; this sends the request to its control socket and copies the daemon's rendering of the progress to
# standard output, exactly as the Java client (io.lazysnap.cli.pull.PullClient) does. It takes the options
# of `lazysnap rpull`; for anything else (--help, --log-level, a mistake) it exits 99 and the launcher runs the
# Java client, which explains.
# No module at all, on the container's start-up path: `use warnings` and `use Socket` took the relay's start-up
# from 6 to 16 ms (IO::Socket and Cwd to 35). The socket constants and sockaddr_un are Linux's, which is all
# lazysnap runs on; `perl -c -Mstrict -Mwarnings` checks this file in the tests.
sub AF_UNIX () { 1 }
sub SOCK_STREAM () { 1 }

shift @ARGV if @ARGV && $ARGV[0] eq 'rpull';
my %opt = (address => '/run/containerd/containerd.sock', daemon => '/run/lazysnap/lazysnap.sock',
           namespace => 'default', snapshotter => 'lazysnap');
my %valued = map { $_ => 1 } qw(address daemon namespace snapshotter platform hosts-dir);
my ($ref, $plain_http) = (undef, 0);
while (@ARGV) {
    my $arg = shift @ARGV;
    if ($arg eq '--plain-http') {
        $plain_http = 1;
    } elsif ($arg =~ /^--([a-z-]+)=(.*)$/s && $valued{$1}) {
        $opt{$1} = $2;
    } elsif (($arg =~ /^--([a-z-]+)$/ && $valued{$1}) || $arg eq '-n') {
        my $name = $arg eq '-n' ? 'namespace' : $1;
        exit 99 unless @ARGV;
        $opt{$name} = shift @ARGV;
    } elsif ($arg !~ /^-/ && !defined $ref) {
        $ref = $arg;
    } else {
        exit 99;
    }
}
exit 99 unless defined $ref;

sub absolute { my ($p) = @_; return $p if $p =~ m{^/}; require Cwd; return Cwd::getcwd() . "/$p"; }
sub json {
    my ($v) = @_;
    return 'null' unless defined $v;
    $v =~ s/(["\\])/\\$1/g;
    $v =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return "\"$v\"";
}
sub fail { print STDERR "lazysnap rpull: $_[0]\n"; exit 1; }

my $control = $opt{daemon};
$control =~ s{(\.sock)?$}{-control.sock};
fail("no lazysnap daemon takes pulls at $control: start it (systemctl start lazysnap, or lazysnap serve) or point"
    . " --daemon at the socket it serves (serve --address)") unless -e $control;
my $socket;
socket($socket, AF_UNIX, SOCK_STREAM, 0) && connect($socket, pack('S Z108', AF_UNIX, $control))
    or fail("cannot reach the lazysnap daemon at $control ($!): is it running?");
binmode $socket;
binmode STDOUT;
select((select($socket), $| = 1)[0]);
$| = 1;
print $socket '{' . join(',',
    '"reference":' . json($ref), '"containerd":' . json(absolute($opt{address})),
    '"namespace":' . json($opt{namespace}), '"snapshotter":' . json($opt{snapshotter}),
    '"platform":' . json($opt{platform}), '"plain_http":' . ($plain_http ? 'true' : 'false'),
    '"hosts_dir":' . json(defined $opt{'hosts-dir'} ? absolute($opt{'hosts-dir'}) : undef),
    '"terminal":' . (-t STDOUT ? 'true' : 'false')) . "}\n";
while (my $line = <$socket>) {
    if ($line =~ /^\0pulled /) {
        exit 0;
    } elsif ($line =~ /^\0error (.*)$/s) {
        (my $reason = $1) =~ s/\n$//;
        fail($reason);
    } elsif ($line =~ /^\0/) {
        fail("the daemon answered a line this client does not know (is lazysnap older than its daemon?)");
    }
    print $line;
}
fail("the lazysnap daemon closed the connection before the pull ended (see its log)");
