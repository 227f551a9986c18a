import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsFlatMetadata, KeepOwnKeys } from '../../common/validators';

export class UpdateAccountDto {
  @ApiPropertyOptional({ description: 'New label', example: 'Acme HiBob (EU)', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiPropertyOptional({
    description: 'Metadata to store (replaces it; flat string/number/boolean values, at most 50 keys, 4 KiB)',
    example: { plan: 'enterprise' },
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  })
  @IsOptional()
  @KeepOwnKeys()
  @IsFlatMetadata()
  metadata?: Record<string, string | number | boolean>;
}
