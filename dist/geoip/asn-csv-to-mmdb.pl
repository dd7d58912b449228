#!/usr/bin/perl
# Turns the IP-to-AS ranges of @ip-location-db/asn (CSV lines
# "first,last,number,organization", IPv4 and IPv6) into a MaxMind DB with
# the fields of GeoLite2-ASN (autonomous_system_number and
# autonomous_system_organization), which smtptls --asn reads.
#
#   asn-csv-to-mmdb.pl OUT.mmdb asn-ipv4.csv asn-ipv6.csv
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 OUT.mmdb CSV...\n" unless @ARGV >= 2;
my ($out, @csv) = @ARGV;

my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version               => 6,
	record_size              => 28,
	database_type            => 'GeoLite2-ASN',
	languages                => ['en'],
	description              => { en => 'IP to AS number: RouteViews and DB-IP (CC BY 4.0), from @ip-location-db/asn' },
	map_key_type_callback    => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4       => 1,
	remove_reserved_networks => 0,
	merge_strategy           => 'none',
);

my ($n, $skipped) = (0, 0);
for my $file (@csv) {
	open(my $fh, '<:encoding(UTF-8)', $file) or die "$file: $!\n";
	while (my $line = <$fh>) {
		chomp $line;
		next if $line eq '';
		my ($first, $last, $asn, $org) = $line =~ /^([^,]+),([^,]+),(\d+),(.*)$/
			or die "$file:$.: not first,last,number,organization\n";
		if ($org =~ /^"(.*)"$/) {
			$org = $1;
			$org =~ s/""/"/g;
		}
		my %rec = (autonomous_system_number => $asn + 0);
		$rec{autonomous_system_organization} = $org if $org ne '';
		# Teredo (2001::/32) and 6to4 (2002::/16) are aliases of the IPv4
		# space in the tree: their own ranges cannot be inserted
		if (!eval { $tree->insert_range($first, $last, \%rec); 1 }) {
			die $@ unless $@ =~ /aliased network/;
			$skipped++;
			next;
		}
		$n++;
	}
	close($fh);
}
die "no ranges read\n" unless $n;
open(my $o, '>:raw', "$out.tmp") or die "$out.tmp: $!\n";
$tree->write_tree($o);
close($o) or die "$out.tmp: $!\n";
rename("$out.tmp", $out) or die "$out: $!\n";
printf STDERR "%s: %d ranges (%d in IPv4-aliased IPv6 space left out)\n", $out, $n, $skipped;
