# Certificates for the TLS tests, made with the openssl CLI in $tmp/pki (not
# a test itself). make_pki CRL_URL: a CA ("CN=nettcp Test CA"), another CA
# nobody trusts ("CN=nettcp Other CA"), and certificates: server (localhost,
# svc.example.test), expired, notyet, revoked, untrusted (by the other CA),
# client, client_other (by the other CA); PKCS#12 server.p12; crl.pem (the
# CA's CRL, revoked listed) and ca_crl.pem (CA certificate + CRL). The
# server certificates name CRL_URL as their CRL distribution point; with
# OCSP_URL, ocsp_good and ocsp_revoked name it as their OCSP responder (and
# no CRL distribution point).
make_pki() {
    local crl_url=$1 ocsp_url=${2:-http://127.0.0.1:9} d=$tmp/pki
    mkdir -p "$d"
    for ca in ca other; do
        mkdir -p "$d/$ca.db"; : >"$d/$ca.db/index.txt"; echo 1000 >"$d/$ca.db/serial"
        cat >"$d/$ca.cnf" <<CNF
[ca]
default_ca = dflt
[dflt]
dir = $d/$ca.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $d/$ca.pem
private_key = $d/$ca.key
default_md = sha256
policy = any
copy_extensions = copy
default_crl_days = 30
unique_subject = no
[any]
commonName = supplied
[srv]
basicConstraints = CA:FALSE
subjectAltName = \$ENV::SAN
crlDistributionPoints = URI:$crl_url
[srv_ocsp]
basicConstraints = CA:FALSE
subjectAltName = \$ENV::SAN
authorityInfoAccess = OCSP;URI:$ocsp_url
[cli]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF
    done
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
        -subj "/CN=nettcp Test CA" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/other.key" -out "$d/other.pem" -days 30 \
        -subj "/CN=nettcp Other CA" 2>/dev/null
    # issue NAME CA EXT SAN [openssl-ca date options]
    issue() {
        local name=$1 ca=$2 ext=$3 san=$4; shift 4
        openssl req -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name" 2>/dev/null
        SAN=$san openssl ca -batch -notext -config "$d/$ca.cnf" -extensions "$ext" -in "$d/$name.csr" \
            -out "$d/$name.pem" "$@" 2>/dev/null
    }
    issue server ca srv "DNS:localhost,DNS:svc.example.test" -days 10
    issue revoked ca srv "DNS:localhost" -days 10
    issue expired ca srv "DNS:localhost" -startdate 20200101000000Z -enddate 20200201000000Z
    issue notyet ca srv "DNS:localhost" -startdate 20991201000000Z -enddate 20991231000000Z
    issue untrusted other srv "DNS:localhost" -days 10
    issue client ca cli "DNS:unused" -days 10
    issue client_other other cli "DNS:unused" -days 10
    issue ocsp_good ca srv_ocsp "DNS:localhost" -days 10
    issue ocsp_revoked ca srv_ocsp "DNS:localhost" -days 10
    SAN=x openssl ca -batch -config "$d/ca.cnf" -revoke "$d/revoked.pem" 2>/dev/null
    SAN=x openssl ca -batch -config "$d/ca.cnf" -revoke "$d/ocsp_revoked.pem" 2>/dev/null
    SAN=x openssl ca -batch -config "$d/ca.cnf" -gencrl -out "$d/crl.pem" 2>/dev/null
    openssl crl -in "$d/crl.pem" -outform DER -out "$d/ca.crl" 2>/dev/null
    cat "$d/ca.pem" "$d/crl.pem" >"$d/ca_crl.pem"
    openssl pkcs12 -export -passout pass: -inkey "$d/server.key" -in "$d/server.pem" -out "$d/server.p12" 2>/dev/null
}
