import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { STACKONE_CATEGORIES, StackOneCategory } from '../stackone/stackone.categories';

export class ProvidersQueryDto {
  @ApiPropertyOptional({ description: 'Only providers of this category', enum: STACKONE_CATEGORIES, example: 'hris' })
  @IsOptional()
  @IsIn(STACKONE_CATEGORIES, { message: `category must be one of: ${STACKONE_CATEGORIES.join(', ')}` })
  category?: StackOneCategory;
}
