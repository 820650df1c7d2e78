package polypay

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.File

/** tests/vectors, from the `polypay.vectors` system property (set by the pom). */
object Vectors {
    private val dir = File(System.getProperty("polypay.vectors") ?: "../../tests/vectors")

    fun file(name: String): JsonObject = Json.parseToJsonElement(File(dir, name).readText()).jsonObject

    fun cases(name: String): List<JsonObject> = file(name)["cases"]!!.jsonArray.map { it.jsonObject }
}

fun JsonObject.str(key: String): String? = when (val v = this[key]) {
    null, is JsonNull -> null
    else -> v.jsonPrimitive.content
}

fun JsonObject.bool(key: String): Boolean? = (this[key] as? JsonPrimitive)?.content?.toBooleanStrictOrNull()

fun JsonObject.arr(key: String): JsonArray? = this[key] as? JsonArray

