/* libFuzzer: a reply body read into values against an operation's schema
 * (ntcp_wsdl_read_body), and the values read written back as a body
 * (ntcp_wsdl_build_body). Input: a reply for the fixed data-contract WSDL
 * below (nested types, arrays, enums, an extension, a recursive type, every
 * simple type); or, when it holds a NUL byte, a WSDL before it and a reply
 * for that WSDL's first operation after it. */
#include <string.h>
#include <nettcp/util.h>
#include <nettcp/wsdl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SHOP_WSDL                                                                                                   \
    "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/' xmlns:tns='urn:shop' targetNamespace='urn:shop'" \
    " xmlns:wsaw='http://www.w3.org/2006/05/addressing/wsdl'>"                                                        \
    "<wsdl:types>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='urn:shop' xmlns:xs='http://www.w3.org/2001/XMLSchema'" \
    " xmlns:dc='http://schemas.datacontract.org/2004/07/Shop'>"                                                      \
    "<xs:element name='Place'><xs:complexType><xs:sequence>"                                                         \
    "<xs:element minOccurs='0' name='order' nillable='true' type='dc:Order'/>"                                       \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='PlaceResponse'><xs:complexType><xs:sequence>"                                                 \
    "<xs:element minOccurs='0' name='PlaceResult' nillable='true' type='dc:Receipt'/>"                               \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='Odd'><xs:complexType><xs:sequence>"                                                           \
    "<xs:element minOccurs='0' name='c' type='dc:Choice'/>"                                                          \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "<xs:element name='OddResponse'><xs:complexType><xs:sequence>"                                                   \
    "<xs:element minOccurs='0' name='f' type='dc:Flags'/>"                                                           \
    "</xs:sequence></xs:complexType></xs:element>"                                                                   \
    "</xs:schema>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='http://schemas.datacontract.org/2004/07/Shop'"       \
    " xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:tns='http://schemas.datacontract.org/2004/07/Shop'"          \
    " xmlns:ser='http://schemas.microsoft.com/2003/10/Serialization/'"                                               \
    " xmlns:arr='http://schemas.microsoft.com/2003/10/Serialization/Arrays'>"                                        \
    "<xs:complexType name='Order'><xs:sequence>"                                                                     \
    "<xs:element name='Flag' type='xs:boolean'/>"                                                                    \
    "<xs:element minOccurs='0' name='Id' type='ser:guid'/>"                                                          \
    "<xs:element minOccurs='0' name='When' type='xs:dateTime'/>"                                                     \
    "<xs:element minOccurs='0' name='Total' type='xs:decimal'/>"                                                     \
    "<xs:element minOccurs='0' name='Lines' nillable='true' type='tns:ArrayOfLine'/>"                                \
    "<xs:element minOccurs='0' name='Status' type='tns:Status'/>"                                                    \
    "<xs:element minOccurs='0' name='Note' nillable='true' type='xs:string'/>"                                       \
    "<xs:element minOccurs='0' name='Wait' type='ser:duration'/>"                                                    \
    "<xs:element minOccurs='0' name='Blob' nillable='true' type='xs:base64Binary'/>"                                 \
    "<xs:element minOccurs='0' name='Letter' type='ser:char'/>"                                                      \
    "<xs:element minOccurs='0' name='Count' nillable='true' type='xs:int'/>"                                         \
    "<xs:element minOccurs='0' name='Tags' nillable='true' type='arr:ArrayOfstring'/>"                               \
    "<xs:element minOccurs='0' name='Ratio' type='xs:double'/>"                                                      \
    "<xs:element minOccurs='0' name='Big' type='xs:unsignedLong'/>"                                                  \
    "<xs:element minOccurs='0' name='Small' type='xs:byte'/>"                                                        \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='ArrayOfLine'><xs:sequence>"                                                               \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='Line' nillable='true' type='tns:Line'/>"                  \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='Line'><xs:sequence>"                                                                      \
    "<xs:element minOccurs='0' name='Qty' type='xs:int'/>"                                                           \
    "<xs:element minOccurs='0' name='Sku' nillable='true' type='xs:string'/>" \
    "<xs:element minOccurs='0' name='Next' nillable='true' type='tns:Line'/>"                                        \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:simpleType name='Status'><xs:restriction base='xs:string'>"                                                 \
    "<xs:enumeration value='New'/><xs:enumeration value='Shipped'/></xs:restriction></xs:simpleType>"                \
    "<xs:complexType name='Base'><xs:sequence>"                                                                      \
    "<xs:element minOccurs='0' name='Code' type='xs:long'/>"                                                         \
    "</xs:sequence></xs:complexType>"                                                                                \
    "<xs:complexType name='Receipt'><xs:complexContent mixed='false'><xs:extension base='tns:Base'><xs:sequence>"    \
    "<xs:element minOccurs='0' name='Number' type='xs:unsignedInt'/>"                                                \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='Item' type='xs:string'/>"                                 \
    "<xs:element minOccurs='0' name='At' type='xs:dateTime'/>"                                                       \
    "<xs:element minOccurs='0' name='Paid' type='xs:decimal'/>"                                                      \
    "<xs:element minOccurs='0' name='Id' type='ser:guid'/>"                                                          \
    "<xs:element minOccurs='0' name='Ok' type='xs:boolean'/>"                                                        \
    "<xs:element minOccurs='0' name='Ratio' type='xs:double'/>"                                                      \
    "<xs:element minOccurs='0' name='Letter' type='ser:char'/>"                                                      \
    "<xs:element minOccurs='0' name='Note' nillable='true' type='xs:string'/>"                                       \
    "<xs:element minOccurs='0' name='Lines' nillable='true' type='tns:ArrayOfLine'/>" \
    "<xs:element minOccurs='0' name='Tags' nillable='true' type='arr:ArrayOfstring'/>" \
    "</xs:sequence></xs:extension></xs:complexContent></xs:complexType>"                                             \
    "<xs:complexType name='Choice'><xs:choice><xs:element name='a' type='xs:int'/></xs:choice></xs:complexType>"     \
    "<xs:simpleType name='Flags'><xs:list><xs:simpleType><xs:restriction base='xs:string'>"                          \
    "<xs:enumeration value='A'/></xs:restriction></xs:simpleType></xs:list></xs:simpleType>"                         \
    "</xs:schema>"                                                                                                   \
    "<xs:schema elementFormDefault='qualified' targetNamespace='http://schemas.microsoft.com/2003/10/Serialization/Arrays'" \
    " xmlns:xs='http://www.w3.org/2001/XMLSchema'>"                                                                  \
    "<xs:complexType name='ArrayOfstring'><xs:sequence>"                                                             \
    "<xs:element minOccurs='0' maxOccurs='unbounded' name='string' nillable='true' type='xs:string'/>"               \
    "</xs:sequence></xs:complexType>"                                                                                \
    "</xs:schema>"                                                                                                   \
    "</wsdl:types>"                                                                                                  \
    "<wsdl:message name='In'><wsdl:part name='parameters' element='tns:Place'/></wsdl:message>"                      \
    "<wsdl:message name='Out'><wsdl:part name='parameters' element='tns:PlaceResponse'/></wsdl:message>"             \
    "<wsdl:message name='OddIn'><wsdl:part name='parameters' element='tns:Odd'/></wsdl:message>"                     \
    "<wsdl:message name='OddOut'><wsdl:part name='parameters' element='tns:OddResponse'/></wsdl:message>"            \
    "<wsdl:portType name='IShop'>"                                                                                   \
    "<wsdl:operation name='Place'><wsdl:input message='tns:In'/><wsdl:output message='tns:Out'/></wsdl:operation>"   \
    "<wsdl:operation name='Again'><wsdl:input message='tns:Out'/><wsdl:output message='tns:Out'/></wsdl:operation>" \
    "<wsdl:operation name='Odd'><wsdl:input message='tns:OddIn'/><wsdl:output message='tns:OddOut'/></wsdl:operation>" \
    "</wsdl:portType></wsdl:definitions>"

static ntcp_wsdl *fixed;

/* the values read are written back through an operation taking the same element */
static void roundtrip(const ntcp_wsdl *w, const ntcp_wsdl_operation *op, const ntcp_wsdl_operation *back,
                      const uint8_t *reply, size_t n)
{
    ntcp_value *v = NULL;
    ntcp_error err;
    if (ntcp_wsdl_read_body(w, op, reply, n, &v, &err) == NTCP_OK) {
        char *xml = NULL;
        size_t len = 0;
        if (ntcp_wsdl_build_body(w, back, v, &xml, &len, &err) == NTCP_OK && strlen(xml) != len)
            __builtin_trap();
        ntcp_free(xml);
        ntcp_value_free(v);
    } else if (v || !err.status) {
        __builtin_trap(); /* a failure sets the error and no value */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    ntcp_error err;
    if (nul) {
        ntcp_wsdl_options o;
        ntcp_wsdl_options_init(&o);
        o.max_documents = 1;
        ntcp_wsdl *w = NULL;
        if (ntcp_wsdl_load_memory(data, (size_t)(nul - data), "memory:fuzz", &o, &w, &err) == NTCP_OK) {
            if (ntcp_wsdl_operation_count(w))
                roundtrip(w, ntcp_wsdl_operation_at(w, 0), ntcp_wsdl_operation_at(w, 0), nul + 1,
                          size - (size_t)(nul - data) - 1);
            ntcp_wsdl_free(w);
        }
        return 0;
    }
    if (!fixed && ntcp_wsdl_load_memory(SHOP_WSDL, strlen(SHOP_WSDL), "memory:shop", NULL, &fixed, &err))
        __builtin_trap();
    roundtrip(fixed, ntcp_wsdl_operation_find(fixed, "Place"), ntcp_wsdl_operation_find(fixed, "Again"), data, size);
    return 0;
}
